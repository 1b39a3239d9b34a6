import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { IncidentPoller, PagerDutyConfig, PagerDutyRest, type Incident } from '../../src/adapters/incidents/pagerduty/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

const TOKEN = 'u+pdtest-poller';
let pd: PagerDutyStandIn;
let log: RecordingLog;
let poller: IncidentPoller | undefined;

const reported: Incident[] = [];
const make = (opts: { services?: () => readonly string[]; intervalMs?: number; onIncident?: (i: Incident) => void } = {}) => {
  const rest = new PagerDutyRest(PagerDutyConfig.parse({ apiToken: TOKEN, apiUrl: pd.url, requestTimeout: '1s' }), log);
  poller = new IncidentPoller({
    rest,
    intervalMs: opts.intervalMs ?? 50,
    services: opts.services ?? (() => ['PA']),
    onIncident: opts.onIncident ?? ((i) => void reported.push(i)),
    log,
  });
  return poller;
};
const keys = () => reported.map((i) => `${i.id}:${i.status}`);

beforeAll(async () => {
  pd = await PagerDutyStandIn.start({ token: TOKEN });
});
afterAll(() => pd.close());
beforeEach(() => {
  pd.reset();
  log = new RecordingLog();
  reported.length = 0;
});
afterEach(() => poller?.stop());

describe('IncidentPoller', () => {
  it('reports each open incident once per status, and again when it re-opens', async () => {
    pd.incidents.addIncident({ id: 'Q1', serviceId: 'PA' });
    pd.incidents.addIncident({ id: 'Q2', serviceId: 'PA', status: 'acknowledged' });
    pd.incidents.addIncident({ id: 'QX', serviceId: 'PB' });
    const p = make();
    expect((await p.pollOnce()).map((i) => i.id)).toEqual(['Q1', 'Q2']);
    expect(await p.pollOnce()).toEqual([]);
    expect(keys()).toEqual(['Q1:triggered', 'Q2:acknowledged']);

    pd.incidents.setStatus('Q1', 'acknowledged');
    await p.pollOnce();
    expect(keys()).toEqual(['Q1:triggered', 'Q2:acknowledged', 'Q1:acknowledged']);

    pd.incidents.setStatus('Q1', 'resolved');
    await p.pollOnce();
    pd.incidents.setStatus('Q1', 'triggered');
    await p.pollOnce();
    expect(keys()).toEqual(['Q1:triggered', 'Q2:acknowledged', 'Q1:acknowledged', 'Q1:triggered']);
  });

  it('only polls while some service is watched', async () => {
    let services: string[] = [];
    pd.incidents.addIncident({ id: 'Q1', serviceId: 'PA' });
    const p = make({ services: () => services });
    expect(await p.pollOnce()).toEqual([]);
    expect(pd.requests).toHaveLength(0);
    services = ['PA', 'PA'];
    await p.pollOnce();
    expect(pd.requests).toHaveLength(1);
    expect(pd.requests[0]?.query['service_ids[]']).toEqual(['PA']);
    expect(keys()).toEqual(['Q1:triggered']);
  });

  it('keeps polling on its interval after failed polls, logging each, and never throws', async () => {
    pd.incidents.addIncident({ id: 'Q1', serviceId: 'PA' });
    pd.failNext(500, 2);
    make().start();
    await vi.waitFor(() => expect(keys()).toEqual(['Q1:triggered']), { timeout: 3_000 });
    expect(log.lines.filter((l) => l.msg === 'pagerduty poll failed').map((l) => (l.obj as { failures: number }).failures)).toEqual([1, 2]);
    expect(log.messages('info')).toContain('pagerduty poll recovered');
    // pollOnce itself resolves to [] on a failure.
    pd.failNext(503, 1);
    poller!.stop();
    expect(await poller!.pollOnce()).toEqual([]);
  });

  it('survives a services() that throws', async () => {
    const p = make({
      services: () => {
        throw new Error('store closed');
      },
    });
    expect(await p.pollOnce()).toEqual([]);
    expect(log.messages('error')).toContain('pagerduty poll skipped (services unknown)');
  });

  it('logs a failing onIncident and carries on', async () => {
    pd.incidents.addIncident({ id: 'Q1', serviceId: 'PA' });
    pd.incidents.addIncident({ id: 'Q2', serviceId: 'PA' });
    const p = make({
      onIncident: (i) => {
        if (i.id === 'Q1') throw new Error('engine said no');
        reported.push(i);
      },
    });
    await p.pollOnce();
    expect(keys()).toEqual(['Q2:triggered']);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'pagerduty incident handler failed', obj: expect.objectContaining({ incidentId: 'Q1' }) }));
  });

  it('stops on stop(): no more requests, and a poll in flight reports nothing', async () => {
    pd.incidents.addIncident({ id: 'Q1', serviceId: 'PA' });
    const p = make({ intervalMs: 30 });
    p.start();
    await vi.waitFor(() => expect(pd.requests.length).toBeGreaterThanOrEqual(3));
    p.stop();
    // A request already on the wire when stop() ran may still reach the stand-in.
    await new Promise((r) => setTimeout(r, 50));
    const count = pd.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(pd.requests.length).toBe(count);

    pd.reset();
    reported.length = 0;
    pd.incidents.addIncident({ id: 'Q2', serviceId: 'PA' });
    pd.slowNext(300);
    const q = make({ intervalMs: 10_000 });
    q.start();
    await vi.waitFor(() => expect(pd.requests).toHaveLength(1));
    q.stop();
    await new Promise((r) => setTimeout(r, 400));
    expect(reported).toEqual([]);
  });
});
