import { createServer, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { MAX_WEBHOOK_BYTES, pagerDutyWebhookRoute, parseWebhookBody, type IncidentEvent } from '../../src/adapters/incidents/pagerduty/index.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { loadWebhookFixture, postWebhook, signPagerDuty, webhookBody, type WebhookFixture } from '../fakes/pagerduty-webhooks.js';

const SECRET = 'whsec-3f1c9a';
const OLD_SECRET = 'whsec-old-77d2';
let secrets: string[] = [SECRET];
let onEvent: (e: IncidentEvent) => void | Promise<void>;
let log: RecordingLog;
let server: Server;
let url: string;
let lastResponse: ServerResponse | undefined;
let n = 0;

const tick = () => new Promise((r) => setTimeout(r, 20));
const webhookId = () => `wh-${process.pid}-${++n}`;
const signed = (body: string, headers: Record<string, string> = {}) => ({ 'x-pagerduty-signature': signPagerDuty(body, SECRET), 'x-webhook-id': webhookId(), ...headers });

beforeAll(async () => {
  // A fresh route per test would hide the de-duplication window; one route, one server, like the bot.
  const route = pagerDutyWebhookRoute({ secrets: () => secrets, onEvent: (e) => onEvent(e), log: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m), error: (o, m) => log.error(o, m), debug: (o, m) => log.debug(o, m) } });
  expect(route).toMatchObject({ path: '/webhooks/pagerduty', method: ['POST'] });
  server = createServer((req, res) => {
    lastResponse = res;
    if (req.url === route.path) return route.handler(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/pagerduty`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  secrets = [SECRET];
  log = new RecordingLog();
  onEvent = () => {};
});

describe('parseWebhookBody', () => {
  it.each([
    ['incident.triggered', 'triggered', { acknowledgedAt: null, resolvedAt: null }],
    ['incident.acknowledged', 'acknowledged', { acknowledgedAt: Date.parse('2026-03-04T10:16:40.112Z'), resolvedAt: null }],
    ['incident.resolved', 'resolved', { resolvedAt: Date.parse('2026-03-04T10:31:09.901Z') }],
    ['incident.reopened', 'triggered', { acknowledgedAt: null, resolvedAt: null }],
  ] as const)('reads %s', (name, status, times) => {
    const e = parseWebhookBody(webhookBody(name as WebhookFixture));
    const fixture = loadWebhookFixture(name as WebhookFixture);
    expect(e).toEqual({
      eventId: fixture.event.id,
      eventType: name,
      occurredAt: Date.parse(fixture.event.occurred_at as string),
      incident: {
        id: 'Q3FLT7KZ0M1XQA',
        number: 4211,
        title: 'checkout-api 5xx ratio above 2% for 5 minutes',
        status,
        urgency: 'high',
        url: 'https://acme.pagerduty.com/incidents/Q3FLT7KZ0M1XQA',
        serviceId: 'PCHK4PI',
        serviceName: 'checkout-api',
        createdAt: Date.parse('2026-03-04T10:15:02Z'),
        ...times,
      },
    });
  });

  it('is null for events that are not about an incident', () => {
    expect(parseWebhookBody(webhookBody('service.updated'))).toBeNull();
    const note = loadWebhookFixture('incident.triggered');
    note.event.event_type = 'incident.annotated';
    note.event.data = { id: 'P2LA89X', type: 'incident_note', content: 'looking', trimmed: false, incident: { id: 'Q3FLT7KZ0M1XQA' } } as never;
    expect(parseWebhookBody(JSON.stringify(note))).toBeNull();
  });

  it('throws adapter_error on a body that is not JSON or not a v3 event, naming the field', () => {
    const attempt = (raw: string) => {
      try {
        parseWebhookBody(raw);
      } catch (err) {
        expect(isFaultlineError(err, 'adapter_error')).toBe(true);
        return (err as Error).message;
      }
      throw new Error('expected a throw');
    };
    expect(attempt('{"event": ')).toMatch(/not JSON/);
    expect(attempt('{"messages": []}')).toMatch(/event: missing/);
    const noService = loadWebhookFixture('incident.triggered');
    delete (noService.event.data as Record<string, unknown>).service;
    expect(attempt(JSON.stringify(noService))).toMatch(/event\.data\.service: missing/);
    const badStatus = loadWebhookFixture('incident.triggered');
    badStatus.event.data.status = 'on_fire';
    expect(attempt(JSON.stringify(badStatus))).toMatch(/event\.data\.status/);
  });
});

describe('POST /webhooks/pagerduty', () => {
  it('answers 202 and hands the incident event over', async () => {
    const seen: IncidentEvent[] = [];
    onEvent = (e) => void seen.push(e);
    const body = webhookBody('incident.triggered', { eventId: 'ev-accept' });
    const a = await postWebhook(url, body, signed(body));
    expect(a.status).toBe(202);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]).toMatchObject({ eventType: 'incident.triggered', incident: { id: 'Q3FLT7KZ0M1XQA', serviceId: 'PCHK4PI', status: 'triggered' } });
  });

  it('answers before a slow handler finishes, and never calls it on the request path', async () => {
    let answerEndedWhenCalled: boolean | undefined;
    let finished = 0;
    onEvent = async () => {
      answerEndedWhenCalled = lastResponse?.writableEnded;
      await new Promise((r) => setTimeout(r, 400));
      finished = performance.now();
    };
    const body = webhookBody('incident.triggered', { eventId: 'ev-slow' });
    const a = await postWebhook(url, body, signed(body));
    expect(a.status).toBe(202);
    expect(finished).toBe(0);
    await vi.waitFor(() => expect(finished).toBeGreaterThan(0));
    expect(a.at).toBeLessThan(finished);
    expect(answerEndedWhenCalled).toBe(true);
  });

  it('accepts a delivery signed during a secret rotation (two v1= values)', async () => {
    secrets = [OLD_SECRET, SECRET];
    const seen: IncidentEvent[] = [];
    onEvent = (e) => void seen.push(e);
    const body = webhookBody('incident.reopened', { eventId: 'ev-rotated' });
    const a = await postWebhook(url, body, { 'x-webhook-id': webhookId(), 'x-pagerduty-signature': signPagerDuty(body, 'whsec-next-1', SECRET) });
    expect(a.status).toBe(202);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
  });

  it.each([
    ['forged', (b: string) => ({ 'x-pagerduty-signature': signPagerDuty(b, 'not-our-secret') }), 'signature does not match'],
    ['unsigned', () => ({}), 'unsigned'],
    ['tampered', (b: string) => ({ 'x-pagerduty-signature': signPagerDuty(b.replace('PCHK4PI', 'POTHER1'), SECRET) }), 'signature does not match'],
  ])('answers 401 to a %s delivery, logs it with its webhook id and never acts on it', async (_what, headers, reason) => {
    const called = vi.fn();
    onEvent = called;
    const body = webhookBody('incident.triggered', { eventId: `ev-401-${_what}` });
    const id = webhookId();
    const a = await postWebhook(url, body, { 'x-webhook-id': id, ...headers(body) });
    expect(a.status).toBe(401);
    await tick();
    expect(called).not.toHaveBeenCalled();
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'pagerduty webhook rejected', obj: expect.objectContaining({ webhookId: id, reason }) }));
  });

  it('answers 401 to everything while no secret is configured', async () => {
    secrets = [];
    const called = vi.fn();
    onEvent = called;
    const body = webhookBody('incident.triggered', { eventId: 'ev-nosecret' });
    expect((await postWebhook(url, body, signed(body))).status).toBe(401);
    await tick();
    expect(called).not.toHaveBeenCalled();
    expect(log.lines[0]?.obj).toMatchObject({ reason: 'no webhook secret configured' });
  });

  it('acts once on a redelivery with the same X-Webhook-Id (and once on the same event under another id)', async () => {
    const called = vi.fn();
    onEvent = called;
    const body = webhookBody('incident.triggered', { eventId: 'ev-dup' });
    const headers = signed(body);
    const first = await postWebhook(url, body, headers);
    const again = await postWebhook(url, body, headers);
    const third = await postWebhook(url, body, headers);
    expect([first.status, again.status, third.status]).toEqual([202, 202, 202]);
    expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' });
    const otherId = await postWebhook(url, body, signed(body));
    expect(otherId.status).toBe(202);
    await tick();
    expect(called).toHaveBeenCalledTimes(1);
    // A different event is acted on.
    const next = webhookBody('incident.acknowledged', { eventId: 'ev-dup-2' });
    await postWebhook(url, next, signed(next));
    await vi.waitFor(() => expect(called).toHaveBeenCalledTimes(2));
  });

  it('does not let an unsigned delivery use up a webhook id', async () => {
    const called = vi.fn();
    onEvent = called;
    const body = webhookBody('incident.triggered', { eventId: 'ev-squat' });
    const id = webhookId();
    expect((await postWebhook(url, body, { 'x-webhook-id': id })).status).toBe(401);
    expect((await postWebhook(url, body, { 'x-webhook-id': id, 'x-pagerduty-signature': signPagerDuty(body, SECRET) })).status).toBe(202);
    await vi.waitFor(() => expect(called).toHaveBeenCalledTimes(1));
  });

  it('accepts and ignores events that are not about an incident', async () => {
    const called = vi.fn();
    onEvent = called;
    const body = webhookBody('service.updated');
    expect((await postWebhook(url, body, signed(body))).status).toBe(202);
    await tick();
    expect(called).not.toHaveBeenCalled();
  });

  it('answers 202 to a signed body it cannot read, and logs it (a 4xx counts against the subscription)', async () => {
    const called = vi.fn();
    onEvent = called;
    const body = '{"event": {"id": "x"}}';
    expect((await postWebhook(url, body, signed(body))).status).toBe(202);
    await vi.waitFor(() => expect(log.messages('error')).toContain('pagerduty webhook unreadable'));
    expect(called).not.toHaveBeenCalled();
  });

  it('logs a failing handler and keeps serving', async () => {
    onEvent = async () => {
      throw new Error('engine busy');
    };
    const body = webhookBody('incident.triggered', { eventId: 'ev-throws' });
    expect((await postWebhook(url, body, signed(body))).status).toBe(202);
    await vi.waitFor(() => expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'pagerduty incident handler failed', obj: expect.objectContaining({ err: expect.objectContaining({ message: 'engine busy' }) }) })));
    const next = webhookBody('incident.resolved', { eventId: 'ev-after-throw' });
    expect((await postWebhook(url, next, signed(next))).status).toBe(202);
  });

  it('answers 413 to a body over 1 MiB, declared or streamed, without acting on it', async () => {
    const called = vi.fn();
    onEvent = called;
    const big = JSON.stringify({ event: { id: 'big', pad: 'x'.repeat(MAX_WEBHOOK_BYTES) } });
    const declared = await postWebhook(url, big, signed(big));
    expect(declared.status).toBe(413);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { ...signed(big), 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 64 * 1024) req.write(big.slice(i, i + 64 * 1024));
      req.end();
    });
    expect(streamed).toBe(413);
    await tick();
    expect(called).not.toHaveBeenCalled();
    // A body just under the limit still goes through.
    const fits = JSON.stringify({ event: { id: 'fits', event_type: 'service.updated', resource_type: 'service', occurred_at: '2026-03-04T10:00:00Z', data: { pad: 'x'.repeat(MAX_WEBHOOK_BYTES - 200) } } });
    expect((await postWebhook(url, fits, signed(fits))).status).toBe(202);
  });

  it('answers 405 to other methods', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      request(url, { method: 'GET' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(405);
  });
});
