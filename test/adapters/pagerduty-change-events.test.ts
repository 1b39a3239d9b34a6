import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChangeEvents, MAX_SUMMARY_CHARS, PagerDutyConfig, type PagerDutyConfigInput } from '../../src/adapters/incidents/pagerduty/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefabcdef';
let pd: PagerDutyStandIn;
let log: RecordingLog;

const events = (cfg: Partial<PagerDutyConfigInput> = {}) => new ChangeEvents(PagerDutyConfig.parse({ routingKey: ROUTING_KEY, eventsUrl: pd.url, requestTimeout: '1s', ...cfg }), log);
const started = Date.parse('2026-03-04T10:15:00.250Z');

beforeAll(async () => {
  pd = await PagerDutyStandIn.start();
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.reset();
  log = new RecordingLog();
});

describe('ChangeEvents.send', () => {
  it('posts a change event with the routing key, summary, time, source, details and links', async () => {
    await events().send({
      summary: 'Chaos experiment exp-42 started: kill one checkout-api pod for 5m',
      source: 'faultline',
      timestamp: started,
      links: [{ href: 'https://acme.slack.com/archives/C0CHAOS/p1709547300000250', text: 'Experiment thread' }],
      details: { experimentId: 'exp-42', fault: 'pod-kill', target: 'checkout-api', durationMs: 300_000 },
    });
    expect(pd.requests).toHaveLength(1);
    expect(pd.requests[0]).toMatchObject({ method: 'POST', path: '/v2/change/enqueue', contentType: 'application/json' });
    expect(pd.requests[0]?.authorization).toBeUndefined();
    expect(pd.changeEvents).toEqual([
      {
        routing_key: ROUTING_KEY,
        payload: {
          summary: 'Chaos experiment exp-42 started: kill one checkout-api pod for 5m',
          timestamp: '2026-03-04T10:15:00.250Z',
          source: 'faultline',
          custom_details: { experimentId: 'exp-42', fault: 'pod-kill', target: 'checkout-api', durationMs: 300_000 },
        },
        links: [{ href: 'https://acme.slack.com/archives/C0CHAOS/p1709547300000250', text: 'Experiment thread' }],
      },
    ]);
    expect(log.messages('debug')).toContain('pagerduty change event sent');
  });

  it('defaults the source, leaves out empty parts, and cuts the summary to 1024 characters', async () => {
    await events().send({ summary: 'x'.repeat(5_000), timestamp: started });
    const body = pd.changeEvents[0] as { payload: { summary: string; source: string; custom_details?: unknown }; links?: unknown };
    expect([...body.payload.summary]).toHaveLength(MAX_SUMMARY_CHARS);
    expect(body.payload.summary.endsWith('…')).toBe(true);
    expect(body.payload.source).toBe('faultline');
    expect(body.payload.custom_details).toBeUndefined();
    expect(body.links).toBeUndefined();
  });

  it('does nothing without a routing key', async () => {
    const e = events({ routingKey: undefined });
    expect(e.enabled).toBe(false);
    await e.send({ summary: 'started', timestamp: started });
    expect(pd.requests).toHaveLength(0);
  });

  it('logs and swallows a refusal, a 5xx, a slow answer and an unreachable endpoint', async () => {
    pd.failNext(500, 1);
    await expect(events().send({ summary: 'aborted', timestamp: started })).resolves.toBeUndefined();
    pd.failNext(429, 1, JSON.stringify({ status: 'throttle event', message: 'Requests for this service are arriving too quickly.' }));
    await expect(events().send({ summary: 'aborted', timestamp: started })).resolves.toBeUndefined();
    // An answer later than the test's own timeout: only the 200 ms request timeout can end this send.
    pd.slowNext(120_000);
    await expect(events({ requestTimeout: '200ms' }).send({ summary: 'aborted', timestamp: started })).resolves.toBeUndefined();
    await expect(events({ eventsUrl: 'http://127.0.0.1:9' }).send({ summary: 'aborted', timestamp: started })).resolves.toBeUndefined();
    const warns = log.lines.filter((l) => l.level === 'warn');
    expect(warns.map((l) => l.msg)).toEqual(['pagerduty change event refused', 'pagerduty change event refused', 'pagerduty change event failed', 'pagerduty change event failed']);
    expect(warns.map((l) => (l.obj as { status?: number }).status)).toEqual([500, 429, undefined, undefined]);
    expect((warns[2]?.obj as { err: string }).err).toMatch(/no answer within 200 ms/);
    expect(pd.changeEvents).toHaveLength(0);
  });

  it('does not send (and does not throw on) an event it cannot describe', async () => {
    await expect(events().send({ summary: '', timestamp: started })).resolves.toBeUndefined();
    await expect(events().send({ summary: 'ok', timestamp: started, links: [{ href: 'not a url', text: 'x' }] })).resolves.toBeUndefined();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(events().send({ summary: 'ok', timestamp: started, details: circular })).resolves.toBeUndefined();
    expect(pd.requests).toHaveLength(0);
    expect(log.messages('warn')).toHaveLength(3);
  });
});

describe('Events API stand-in', () => {
  it('answers 400 to a change event without a routing key or summary, like PagerDuty', async () => {
    const post = (body: unknown) => fetch(`${pd.url}/v2/change/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const noKey = await post({ payload: { summary: 'x' } });
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ status: 'invalid event', message: 'Event object is invalid' });
    expect((await post({ routing_key: ROUTING_KEY, payload: {} })).status).toBe(400);
    const ok = await post({ routing_key: ROUTING_KEY, payload: { summary: 'x' } });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ status: 'success', message: 'Change event processed' });
  });
});
