import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { postWebhook, signPagerDuty, webhookBody } from '../fakes/pagerduty-webhooks.js';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { runningViaSlack, startSlackHarness, type SlackHarness } from './slack-harness.js';

const WEBHOOK_SECRET = 'pd-webhook-secret';
const SERVICE = 'PCHECKOUT';

describe('PagerDuty on the bot\'s HTTP server: webhook auto-abort, the incident gate, change events', () => {
  let pd: PagerDutyStandIn;
  let h: SlackHarness;
  beforeAll(async () => {
    pd = await PagerDutyStandIn.start();
    h = await startSlackHarness(
      { pagerduty: { linkedServices: [SERVICE], apiUrl: pd.url, eventsUrl: pd.url, pollInterval: '1h', autoFreeze: false } },
      { pagerdutyApiToken: 'pd-token', pagerdutyWebhookSecrets: ['old-secret', WEBHOOK_SECRET], pagerdutyRoutingKey: 'R0UTINGKEY' },
    );
    await waitUntil('traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
  });

  const hook = () => `${h.bot.url}/webhooks/pagerduty`;

  it('refuses forged and unsigned webhooks with 401 and acts on nothing', async () => {
    const body = webhookBody('incident.triggered', { serviceId: SERVICE, eventId: 'EVFORGED' });
    expect((await postWebhook(hook(), body, { 'x-pagerduty-signature': signPagerDuty(body, 'wrong'), 'x-webhook-id': 'w-1' })).status).toBe(401);
    expect((await postWebhook(hook(), body, { 'x-webhook-id': 'w-2' })).status).toBe(401);
    expect(h.bot.app.store.events({ kinds: ['incident'] })).toEqual([]);
  });

  it('an open incident on a linked service blocks the start, naming it', async () => {
    const inc = pd.incidents.addIncident({ serviceId: SERVICE, title: 'Checkout is paging', status: 'acknowledged' });
    await h.slash('propose checkout-latency', 'U0ALICE');
    await waitUntil('proposal', () => h.bot.app.engine.experiments.byState(['proposed']).length === 1);
    const id = h.bot.app.engine.experiments.byState(['proposed'])[0]!.record.id;
    await h.click('approve', id, 'U0BOB');
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    const start = await h.click('start', id, 'U0ALICE');
    const answer = await h.api.waitForResponse((r) => r.id === start.responseId, 5000);
    expect(JSON.stringify(answer.body)).toContain('incident_open');
    expect(JSON.stringify(answer.body)).toContain('Checkout is paging');
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('approved');
    pd.incidents.setStatus(inc.id, 'resolved');
    await h.slash(`reject ${id} done here`, 'U0BOB');
  });

  it('a signed incident.triggered webhook for a linked service aborts the run; 202 comes first; duplicates act once; change events sent', async () => {
    const { id } = await runningViaSlack(h, 'checkout-latency duration=1m');
    await waitUntil('a change event for the start', () => pd.changeEvents.some((e) => JSON.stringify(e).includes(`Started chaos experiment ${id}`)));
    const body = webhookBody('incident.triggered', { serviceId: SERVICE, eventId: 'EV1', incidentId: 'PINC9' });
    const headers = { 'x-pagerduty-signature': signPagerDuty(body, WEBHOOK_SECRET), 'x-webhook-id': 'w-dup' };
    const first = await postWebhook(hook(), body, headers);
    expect(first.status).toBe(202);
    const again = await postWebhook(hook(), body, headers);
    expect(again.status).toBe(202);
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h.sandbox.adminUrl)).length === 0, 5000);
    await h.bot.app.engine.runner.settle();
    const r = h.bot.app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('incident');
    expect(r.abort?.reason).toMatch(/PagerDuty incident .* on service PCHECKOUT: https:\/\//);
    expect(h.bot.app.store.journal(id).filter((e) => e.kind === 'incident')).toHaveLength(1);
    await waitUntil('a change event for the end', () => pd.changeEvents.some((e) => JSON.stringify(e).includes(`Ended chaos experiment ${id}`)));
    const ended = pd.changeEvents.find((e) => JSON.stringify(e).includes(`Ended chaos experiment ${id}`))!;
    expect(ended.routing_key).toBe('R0UTINGKEY');
    // The change event links the card's thread in Slack.
    expect(JSON.stringify(ended.links)).toMatch(/https:\/\/faultline-test\.slack\.com\/archives\/C0CHAOS\/p\d+/);
  });
});
