import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { Config } from '../../src/app/config.js';
import { startOpsServer } from '../../src/app/ops-server.js';
import { incidentSettings, wirePagerDuty } from '../../src/app/pagerduty-wiring.js';
import type { Clock } from '../../src/core/clock.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { postWebhook, signPagerDuty, webhookBody, type WebhookFixture } from '../fakes/pagerduty-webhooks.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { alice, engineFactory, refusal, waitFor, type Engine } from './engine-harness.js';

const SECRET = 'pd-webhook-secret';
/** The service and incident of the webhook fixtures (test/fixtures/pagerduty/). */
const SERVICE = 'PCHK4PI';
const INCIDENT = 'Q3FLT7KZ0M1XQA';

const engine = engineFactory();

interface GateOptions {
  token?: boolean;
  secret?: boolean;
  /** The bot serves HTTP (default true). */
  served?: boolean;
  pagerduty?: Record<string, unknown>;
  /** Stop this one and start on its SQLite file: a restart. */
  after?: Gate;
  clock?: Clock;
}

interface Gate {
  e: Engine;
  /** POSTs a signed Webhooks v3 delivery to the bot's route and waits for it to be handled. */
  hook(name: WebhookFixture, eventId: string): Promise<void>;
  stop(): Promise<void>;
}

describe('the PagerDuty start gate fails closed and remembers incidents across restarts', () => {
  let pd: PagerDutyStandIn;
  const open: Gate[] = [];
  beforeAll(async () => {
    pd = await PagerDutyStandIn.start();
  });
  afterAll(async () => pd?.close());
  afterEach(async () => {
    for (const g of open.splice(0)) await g.stop();
    pd.reset();
  });

  /** The real wiring (pdjs against the stand-in, the signed webhook route on a real HTTP server) around a test engine. */
  async function gate(o: GateOptions = {}): Promise<Gate> {
    if (o.after) {
      await o.after.stop();
      await o.after.e.close();
    }
    const config = Config.parse({
      pagerduty: { linkedServices: [SERVICE], apiUrl: pd.url, eventsUrl: pd.url, pollInterval: '1h', requestTimeout: '300ms', autoFreeze: false, ...o.pagerduty },
    });
    const env = { ...(o.token ? { pagerdutyApiToken: 'pd-token' } : {}), ...(o.secret ? { pagerdutyWebhookSecrets: [SECRET] } : {}) };
    const served = o.served ?? true;
    const wiring = wirePagerDuty(config, env, new RecordingLog(), undefined, { httpServed: served });
    const e = engine({ ...(o.after ? { dir: o.after.e.dir } : {}), ...(o.clock ? { clock: o.clock } : {}), incidents: wiring?.incidents ?? { settings: incidentSettings(config, env, served) } });
    const attached = wiring?.attach(e.engine.incidents);
    const server = attached && served ? await startOpsServer([attached.route], '127.0.0.1', 0) : undefined;
    let stopped = false;
    const staleLines = () => e.log.messages('info').filter((m) => m.includes('older than what is known')).length;
    const g: Gate = {
      e,
      async hook(name, eventId) {
        if (!server) throw new Error('no HTTP server in this set-up');
        const before = JSON.stringify(e.store.incidents.get(INCIDENT) ?? null);
        const staleBefore = staleLines();
        const body = webhookBody(name, { eventId });
        const res = await postWebhook(`${server.url}/webhooks/pagerduty`, body, { 'x-pagerduty-signature': signPagerDuty(body, SECRET), 'x-webhook-id': `w-${eventId}` });
        expect(res.status).toBe(202);
        // Handled on its own turn after the 202: stored, or logged as older than what is known.
        await waitFor(`webhook ${eventId} handled`, () => JSON.stringify(e.store.incidents.get(INCIDENT) ?? null) !== before || staleLines() > staleBefore);
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        attached?.stop();
        await server?.close();
      },
    };
    open.push(g);
    return g;
  }

  describe('webhook only (no API token)', () => {
    it('an incident opened by a signed webhook refuses the start, naming it, also after a restart; its resolve lifts the gate', async () => {
      const first = await gate({ secret: true });
      await first.hook('incident.triggered', 'EV-T1');
      const id = await first.e.proposeApproved();
      const r1 = await refusal(first.e.service.start(id, alice));
      expect(r1.code).toBe('incident_open');
      expect(r1.message).toContain('#4211 "checkout-api 5xx ratio above 2% for 5 minutes"');
      expect(r1.message).toContain('https://acme.pagerduty.com/incidents/Q3FLT7KZ0M1XQA');
      expect(pd.requests).toEqual([]);

      const second = await gate({ secret: true, after: first });
      const again = await refusal(second.e.service.start(id, alice));
      expect(again.code).toBe('incident_open');
      expect(second.e.service.get(id).record.state).toBe('approved');
      expect(second.e.target.injectCalls).toHaveLength(0);

      await second.hook('incident.resolved', 'EV-R1');
      expect(second.e.store.incidents.get(INCIDENT)?.status).toBe('resolved');
      await second.e.service.start(id, alice);
      await second.e.waitForPhase(id, 'observing');
    });

    it('a late, older triggered delivery after the resolve does not reopen the incident', async () => {
      const g = await gate({ secret: true, pagerduty: { autoFreeze: true } });
      await g.hook('incident.resolved', 'EV-R2');
      await g.hook('incident.triggered', 'EV-T2');
      expect(g.e.store.incidents.get(INCIDENT)).toMatchObject({ status: 'resolved', source: 'webhook' });
      expect(g.e.engine.incidents.book.active()).toEqual([]);
      const id = await g.e.proposeApproved();
      await g.e.service.start(id, alice);
      await g.e.waitForPhase(id, 'observing');
    });
  });

  describe('high-urgency freezes', () => {
    it('survive a restart and lift when the incident resolves', async () => {
      const first = await gate({ secret: true, pagerduty: { autoFreeze: true, freezeMax: '10m' } });
      await first.hook('incident.triggered', 'EV-T3');
      const id = await first.e.proposeApproved();
      expect((await refusal(first.e.service.start(id, alice))).code).toBe('frozen');

      const second = await gate({ secret: true, pagerduty: { autoFreeze: true, freezeMax: '10m' }, after: first });
      const frozen = await refusal(second.e.service.start(id, alice));
      expect(frozen.code).toBe('frozen');
      expect(frozen.message).toMatch(/service PCHK4PI is frozen until \d{4}-\d\d-\d\dT.*#4211/);
      const list = await dispatch('/chaos freeze list', { actor: alice, channel: '#chaos', engine: second.e.engine.facade, log: second.e.log }, commandRegistry());
      expect(list.sections.join('\n')).toMatch(/Services frozen by incidents:\nPCHK4PI {2}until .* \(or its resolve\) {2}PagerDuty incident #4211/);

      await second.hook('incident.resolved', 'EV-R3');
      expect(second.e.engine.incidents.book.active()).toEqual([]);
      await second.e.service.start(id, alice);
      await second.e.waitForPhase(id, 'observing');
    });

    it('lift at their end; the incident, still open, still refuses', async () => {
      const clock = new ShiftedClock();
      const first = await gate({ secret: true, clock, pagerduty: { autoFreeze: true, freezeMax: '10m' } });
      await first.hook('incident.triggered', 'EV-T4');
      expect((await refusal(first.e.service.start(await first.e.proposeApproved(), alice))).code).toBe('frozen');
      clock.advance(11 * 60_000);
      const second = await gate({ secret: true, clock, pagerduty: { autoFreeze: true, freezeMax: '10m' }, after: first });
      const r = await refusal(second.e.service.start(await second.e.proposeApproved(), alice));
      expect(r.code).toBe('incident_open');
      expect(r.message).toContain('#4211');
    });
  });

  describe('no way to learn incidents', () => {
    it('neither a token nor a webhook secret: incident_unknown, saying how to fix it', async () => {
      const g = await gate();
      const id = await g.e.proposeApproved();
      const r = await refusal(g.e.service.start(id, alice));
      expect(r.code).toBe('incident_unknown');
      expect(r.message).toContain('PCHK4PI');
      expect(r.message).toContain('PAGERDUTY_API_TOKEN');
      expect(r.message).toContain('PAGERDUTY_WEBHOOK_SECRET');
      expect(r.message).toContain('pagerduty.gate: off');
      expect(g.e.target.injectCalls).toHaveLength(0);
    });

    it('a webhook secret but no HTTP server for it: incident_unknown naming PORT', async () => {
      const g = await gate({ secret: true, served: false });
      const r = await refusal(g.e.service.start(await g.e.proposeApproved(), alice));
      expect(r.code).toBe('incident_unknown');
      expect(r.message).toMatch(/serves no HTTP.*PORT or server\.port/);
    });

    it("a playbook's own pagerduty.services are gated with nothing of PagerDuty configured", async () => {
      const g = await gate({ pagerduty: { linkedServices: [] } });
      const plain = await g.e.proposeApproved();
      g.e.playbooks.get('web-latency')!.playbook.pagerduty.services = ['PORDERS'];
      const linked = await g.e.proposeApproved();
      const r = await refusal(g.e.service.start(linked, alice));
      expect(r.code).toBe('incident_unknown');
      expect(r.message).toContain('PORDERS');
      // An experiment linked to no service is not gated.
      await g.e.service.start(plain, alice);
      await g.e.waitForPhase(plain, 'observing');
    });

    it('pagerduty.gate: off lets the start go ahead, with a warning', async () => {
      const g = await gate({ pagerduty: { gate: 'off' } });
      const id = await g.e.proposeApproved();
      await g.e.service.start(id, alice);
      await g.e.waitForPhase(id, 'observing');
      expect(g.e.log.messages('warn')).toContain('pagerduty incidents unknown; starting anyway (pagerduty.gate: off)');
    });
  });

  describe('with an API token (pdjs against the stand-in)', () => {
    it('an open incident PagerDuty lists refuses the start, naming it', async () => {
      pd.incidents.addIncident({ serviceId: SERVICE, title: 'Checkout is paging', status: 'acknowledged', urgency: 'low' });
      const g = await gate({ token: true });
      const r = await refusal(g.e.service.start(await g.e.proposeApproved(), alice));
      expect(r.code).toBe('incident_open');
      expect(r.message).toContain('"Checkout is paging" (acknowledged, low urgency)');
      expect(pd.requests.filter((q) => q.path === '/incidents').at(-1)?.query['service_ids[]']).toEqual([SERVICE]);
    });

    it('PagerDuty answering 503 is incident_lookup_failed with the reason, never incident_open', async () => {
      const g = await gate({ token: true });
      const id = await g.e.proposeApproved();
      pd.failNext(503);
      const r = await refusal(g.e.service.start(id, alice));
      expect(r.code).toBe('incident_lookup_failed');
      expect(r.message).toContain('HTTP 503');
      expect(g.e.service.get(id).record.state).toBe('approved');
      expect(g.e.target.injectCalls).toHaveLength(0);
    });

    it('PagerDuty not answering in time is incident_lookup_failed', async () => {
      const g = await gate({ token: true });
      const id = await g.e.proposeApproved();
      pd.slowNext(1500);
      const r = await refusal(g.e.service.start(id, alice));
      expect(r.code).toBe('incident_lookup_failed');
      expect(r.message).toContain('did not answer GET /incidents within 300 ms');
    });

    it('with pagerduty.gate: off a failed lookup warns and starts', async () => {
      const g = await gate({ token: true, pagerduty: { gate: 'off' } });
      const id = await g.e.proposeApproved();
      pd.failNext(503);
      await g.e.service.start(id, alice);
      await g.e.waitForPhase(id, 'observing');
      expect(g.e.log.messages('warn')).toContain('pagerduty lookup failed; starting anyway (pagerduty.gate: off)');
    });

    it('PagerDuty no longer listing an incident a webhook opened lifts the gate (it was resolved)', async () => {
      const g = await gate({ token: true, secret: true });
      await g.hook('incident.triggered', 'EV-T5');
      const id = await g.e.proposeApproved();
      await g.e.service.start(id, alice);
      await g.e.waitForPhase(id, 'observing');
      expect(g.e.store.incidents.get(INCIDENT)).toMatchObject({ status: 'resolved', source: 'lookup' });
    });

    it('an incident a lookup found still refuses after a restart while PagerDuty is down, as incident_open', async () => {
      pd.incidents.addIncident({ serviceId: SERVICE, title: 'Checkout is paging' });
      const first = await gate({ token: true });
      const id = await first.e.proposeApproved();
      expect((await refusal(first.e.service.start(id, alice))).code).toBe('incident_open');
      const second = await gate({ token: true, after: first });
      pd.failNext(503);
      const r = await refusal(second.e.service.start(id, alice));
      expect(r.code).toBe('incident_open');
      expect(r.message).toContain('"Checkout is paging"');
      expect(r.message).toContain('known from an earlier lookup; PagerDuty could not be asked again');
    });
  });
});
