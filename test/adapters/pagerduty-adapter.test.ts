import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pagerDutyAdapter, PagerDutyConfig } from '../../src/adapters/incidents/pagerduty/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { postWebhook, signPagerDuty, webhookBody } from '../fakes/pagerduty-webhooks.js';
import { RecordingLog } from '../fakes/recording-log.js';

let pd: PagerDutyStandIn;
beforeAll(async () => {
  pd = await PagerDutyStandIn.start({ token: 'tok' });
});
afterAll(() => pd.close());

describe('PagerDutyConfig', () => {
  it('fills in the defaults', () => {
    expect(PagerDutyConfig.parse({})).toEqual({
      webhookSecrets: [],
      apiUrl: 'https://api.pagerduty.com',
      eventsUrl: 'https://events.pagerduty.com',
      pollInterval: 15_000,
      requestTimeout: 5_000,
      linkedServices: [],
    });
    expect(PagerDutyConfig.parse({ pollInterval: '1m' }).pollInterval).toBe(60_000);
  });

  it('refuses unknown keys, empty secrets and bad URLs', () => {
    expect(PagerDutyConfig.safeParse({ apiKey: 'x' }).success).toBe(false);
    expect(PagerDutyConfig.safeParse({ webhookSecrets: [''] }).success).toBe(false);
    expect(PagerDutyConfig.safeParse({ apiUrl: 'api.pagerduty.com' }).success).toBe(false);
    expect(PagerDutyConfig.safeParse({ pollInterval: 'soon' }).success).toBe(false);
  });
});

describe('pagerDutyAdapter.create', () => {
  const deps = () => ({ log: new RecordingLog(), now: Date.now });

  it('without a token has no REST client and no poller; change events are a no-op', async () => {
    const pdi = pagerDutyAdapter.create(PagerDutyConfig.parse({}), deps());
    expect(pdi.rest).toBeUndefined();
    expect(pdi.poller({ services: () => ['PA'], onIncident: () => {} })).toBeUndefined();
    expect(pdi.changeEvents.enabled).toBe(false);
  });

  it('links the configured services to every experiment, and verifies webhooks with the configured secrets', async () => {
    pd.reset();
    pd.incidents.addIncident({ id: 'QL', serviceId: 'PLINKED' });
    const pdi = pagerDutyAdapter.create(PagerDutyConfig.parse({ apiToken: 'tok', apiUrl: pd.url, webhookSecrets: ['s3cret'], linkedServices: ['PLINKED'] }), deps());
    const seen = vi.fn();
    expect(pdi.servicesFor(['PRUN', 'PLINKED'])).toEqual(['PLINKED', 'PRUN']);
    const poller = pdi.poller({ services: () => pdi.servicesFor(['PRUN']), onIncident: seen })!;
    await poller.pollOnce();
    expect(pd.requests[0]?.query['service_ids[]']).toEqual(['PLINKED', 'PRUN']);
    expect(seen).toHaveBeenCalledWith(expect.objectContaining({ id: 'QL' }));

    const onEvent = vi.fn();
    const route = pdi.webhookRoute({ onEvent });
    const server = createServer((req, res) => route.handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${route.path}`;
    const body = webhookBody('incident.triggered');
    expect((await postWebhook(url, body, { 'x-webhook-id': 'a1', 'x-pagerduty-signature': signPagerDuty(body, 's3cret') })).status).toBe(202);
    expect((await postWebhook(url, body, { 'x-webhook-id': 'a2', 'x-pagerduty-signature': signPagerDuty(body, 'other') })).status).toBe(401);
    await vi.waitFor(() => expect(onEvent).toHaveBeenCalledTimes(1));
    await new Promise<void>((r) => server.close(() => r()));
  });
});
