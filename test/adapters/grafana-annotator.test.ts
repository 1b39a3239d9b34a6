import { afterEach, describe, expect, it } from 'vitest';
import { grafanaAdapter, type GrafanaAnnotator, type GrafanaConfigInput } from '../../src/adapters/annotations/grafana/index.js';
import type { ExperimentRecord } from '../../src/core/experiment.js';
import { transition, type LifecycleEvent } from '../../src/core/lifecycle.js';
import { alice, authority, bob, carol, makePlan, makeRecord, MIN, openLimits, T0 } from '../core/fixtures.js';
import { GrafanaStandIn } from '../fakes/grafana-api.js';
import { RecordingLog } from '../fakes/recording-log.js';

const standIns: GrafanaStandIn[] = [];
afterEach(async () => {
  for (const s of standIns.splice(0)) await s.close();
});

async function grafana(opts: { hang?: boolean } = {}): Promise<GrafanaStandIn> {
  const s = await GrafanaStandIn.start({ token: 'glsa_good', ...opts });
  standIns.push(s);
  return s;
}

function annotator(g: GrafanaStandIn, over: Partial<GrafanaConfigInput> = {}) {
  const log = new RecordingLog();
  const waits: number[] = [];
  const a = grafanaAdapter.create(
    { url: g.url, token: 'glsa_good', timeout: 2000, retryBackoff: 10, ...over },
    { log, now: Date.now, sleep: async (ms) => void waits.push(ms) },
  );
  return { a, log, waits };
}

/** A run driven through the real state machine; every transition is handed to `a` as the engine would. */
class Run {
  record: ExperimentRecord;
  constructor(
    private readonly a: GrafanaAnnotator,
    id = 'exp-1a2b3c',
  ) {
    this.record = makeRecord('approved', null, { id, plan: makePlan({ fault: { type: 'latency', parameters: { ms: 300 } }, durationMs: 5 * MIN }) });
  }
  step(event: LifecycleEvent, at: number): this {
    const before = this.record;
    this.record = transition(before, event, at).state;
    this.a.onTransition(before, this.record, null);
    return this;
  }
  start(at = T0 + 2 * MIN) {
    return this.step({ type: 'start', actor: alice, currentPlanHash: this.record.planHash, limits: openLimits, targetIds: ['checkout-1'], authority }, at);
  }
  inject(at = T0 + 3 * MIN) {
    return this.step({ type: 'precheck-passed' }, at - 1000).step({ type: 'injected', endsAt: at + 5 * MIN }, at);
  }
  abort(at: number, actor = bob) {
    return this.step({ type: 'abort', actor, reason: 'p99 climbing', code: 'manual', authority }, at);
  }
  revertAndCheck(revertedAt: number, passed = true) {
    if (this.record.phase === 'observing') this.step({ type: 'duration-elapsed' }, revertedAt - 500);
    return this.step({ type: 'reverted' }, revertedAt).step({ type: 'postchecked', passed }, revertedAt + 30_000);
  }
}

const bodies = (g: GrafanaStandIn) => g.requests.map((r) => ({ method: r.method, path: r.path, body: JSON.parse(r.body) as Record<string, unknown> }));

describe('Grafana annotations of one experiment, against the stand-in', () => {
  it('start, the fault window (created at inject, PATCHed at revert) and the end with its verdict: tags and epoch-ms times', async () => {
    const g = await grafana();
    const { a, log } = annotator(g);
    const run = new Run(a).start().inject().revertAndCheck(T0 + 8 * MIN);
    await a.settle();

    expect(run.record).toMatchObject({ state: 'completed', verdict: 'held' });
    expect(bodies(g).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/annotations', 'POST /api/annotations', 'PATCH /api/annotations/2', 'POST /api/annotations']);
    for (const r of g.requests) {
      expect(r.authorization).toBe('Bearer glsa_good');
      expect(r.contentType).toBe('application/json');
    }
    // The region goes in as a point (timeEnd = time) and is widened by the PATCH.
    expect(bodies(g)[1]!.body).toMatchObject({ time: T0 + 3 * MIN, timeEnd: T0 + 3 * MIN });
    expect(bodies(g)[2]!.body).toMatchObject({ timeEnd: T0 + 8 * MIN });

    const [start, fault, end] = g.annotations;
    expect(start).toMatchObject({ time: T0 + 2 * MIN, timeEnd: T0 + 2 * MIN, tags: ['faultline', 'exp-1a2b3c', 'latency', 'start'] });
    expect(start!.text).toContain('exp-1a2b3c (checkout-latency) started: latency on checkout-1 for 5m');
    expect(fault).toMatchObject({ time: T0 + 3 * MIN, timeEnd: T0 + 8 * MIN, tags: ['faultline', 'exp-1a2b3c', 'latency', 'fault'] });
    expect(fault!.text).toContain('reverted after 5m');
    expect(end).toMatchObject({ time: T0 + 8 * MIN + 30_000, tags: ['faultline', 'exp-1a2b3c', 'latency', 'end', 'held'] });
    expect(end!.text).toContain('ended: completed, verdict held');
    // Epoch milliseconds, not seconds.
    for (const x of g.annotations) expect(x.time).toBeGreaterThan(1e12);
    expect(log.messages('warn')).toEqual([]);
    // What the dashboard's annotation query asks for.
    const found = (await (await fetch(`${g.url}/api/annotations?tags=faultline&tags=exp-1a2b3c`, { headers: { authorization: 'Bearer glsa_good' } })).json()) as unknown[];
    expect(found).toHaveLength(3);
  });

  it('an abort while the fault is in: an abort point, the region closed at the revert, the end tagged with the verdict', async () => {
    const g = await grafana();
    const { a } = annotator(g);
    const run = new Run(a).start().inject().abort(T0 + 4 * MIN, carol).revertAndCheck(T0 + 4 * MIN + 2000, false);
    await a.settle();

    expect(run.record.state).toBe('aborted');
    const tagsOf = g.annotations.map((x) => x.tags.slice(3));
    expect(tagsOf).toEqual([['start'], ['fault'], ['abort'], ['end', run.record.verdict!]]);
    const abort = g.withTags('abort')[0]!;
    expect(abort.time).toBe(T0 + 4 * MIN);
    expect(abort.text).toBe('Chaos experiment exp-1a2b3c aborted by carol (U_CAROL) (manual): p99 climbing');
    expect(g.withTags('fault')[0]).toMatchObject({ time: T0 + 3 * MIN, timeEnd: T0 + 4 * MIN + 2000 });
    expect(g.withTags('end')[0]!.text).toContain('ended: aborted, verdict');
  });

  it('an abort before the fault went in: abort and end, no fault window', async () => {
    const g = await grafana();
    const { a } = annotator(g);
    new Run(a).start().abort(T0 + 2 * MIN + 500);
    await a.settle();
    expect(g.annotations.map((x) => x.tags.slice(3))).toEqual([['start'], ['abort'], ['end', 'inconclusive']]);
  });

  it('a proposal approved and cancelled marks nothing', async () => {
    const g = await grafana();
    const { a } = annotator(g);
    new Run(a).step({ type: 'abort', actor: alice, reason: 'not today', code: 'manual', authority }, T0 + MIN);
    await a.settle();
    expect(g.requests).toEqual([]);
  });

  it('ties the annotations to a dashboard and panel when configured', async () => {
    const g = await grafana();
    const { a } = annotator(g, { dashboardUid: 'faultline-bot', panelId: 4 });
    new Run(a).start().inject();
    await a.settle();
    for (const r of bodies(g)) expect(r.body).toMatchObject({ dashboardUID: 'faultline-bot', panelId: 4 });
  });

  it('a region whose create failed, or that Grafana no longer has, is created whole at the revert', async () => {
    const g = await grafana();
    const { a, log } = annotator(g);
    const run = new Run(a).start();
    await a.settle();
    g.failNext(400, 1, { body: { message: 'Failed to save annotation' } });
    run.inject();
    await a.settle();
    expect(log.lines.find((l) => l.msg === 'grafana annotation failed')?.obj).toMatchObject({ code: 'adapter_error', failure: 'refused', status: 400, annotation: 'fault' });
    run.revertAndCheck(T0 + 8 * MIN);
    await a.settle();
    expect(g.withTags('fault')).toEqual([expect.objectContaining({ time: T0 + 3 * MIN, timeEnd: T0 + 8 * MIN })]);

    const other = new Run(a, 'exp-404404').start().inject();
    await a.settle();
    g.annotations.splice(g.annotations.findIndex((x) => x.tags.includes('exp-404404') && x.tags.includes('fault')), 1);
    other.revertAndCheck(T0 + 9 * MIN);
    await a.settle();
    expect(g.requests.filter((r) => r.method === 'PATCH').at(-1)).toBeDefined();
    expect(g.withTags('exp-404404', 'fault')).toEqual([expect.objectContaining({ time: T0 + 3 * MIN, timeEnd: T0 + 9 * MIN })]);
  });
});

describe('failures never reach the engine', () => {
  it('a 500 and a 429 are retried with backoff (Retry-After honoured), then it goes through', async () => {
    const g = await grafana();
    const { a, log, waits } = annotator(g);
    g.failNext(500, 1);
    g.failNext(429, 1, { retryAfter: 1 });
    new Run(a).start();
    await a.settle();
    expect(g.requests.map((r) => r.path)).toEqual(['/api/annotations', '/api/annotations', '/api/annotations']);
    expect(waits).toEqual([10, 1000]);
    expect(g.annotations).toHaveLength(1);
    expect(log.messages('warn')).toEqual([]);
  });

  it('gives up after two retries, logs the failure with its code, and the next annotation still goes', async () => {
    const g = await grafana();
    const { a, log, waits } = annotator(g);
    g.failNext(503, 3);
    new Run(a).start().inject();
    await a.settle();
    expect(waits).toEqual([10, 20]);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => [l.msg, l.obj])).toEqual([
      ['grafana annotation failed', expect.objectContaining({ code: 'adapter_error', failure: 'unavailable', status: 503, attempts: 3, annotation: 'start', experimentId: 'exp-1a2b3c' })],
    ]);
    expect(g.annotations.map((x) => x.tags.at(-1))).toEqual(['fault']);
  });

  it('a 400 is not retried', async () => {
    const g = await grafana();
    const { a, log } = annotator(g);
    g.failNext(400, 1, { body: { message: 'bad request data' } });
    new Run(a).start();
    await a.settle();
    expect(g.requests).toHaveLength(1);
    expect(log.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ failure: 'refused', status: 400, attempts: 1, reason: 'grafana answered 400: bad request data' });
  });

  it('a wrong token: 401 logged with a hint naming GRAFANA_TOKEN, not thrown, not retried', async () => {
    const g = await grafana();
    const { a, log } = annotator(g, { token: 'glsa_wrong' });
    const run = new Run(a);
    expect(() => run.start()).not.toThrow();
    await a.settle();
    expect(g.requests).toHaveLength(1);
    expect(g.annotations).toEqual([]);
    const warn = log.lines.find((l) => l.level === 'warn')!;
    expect(warn.msg).toBe('grafana annotation failed');
    expect(warn.obj).toMatchObject({ code: 'adapter_error', failure: 'unauthorized', status: 401, hint: expect.stringContaining('GRAFANA_TOKEN') });
    expect(JSON.stringify(log.lines)).not.toContain('glsa_wrong');
  });

  it('a Grafana under a sub-path is called there (its 404 is logged as not_found)', async () => {
    const g = await grafana();
    const { a, log } = annotator(g, { url: `${g.url}/grafana` });
    new Run(a).start();
    await a.settle();
    expect(g.requests.map((r) => r.path)).toEqual(['/grafana/api/annotations']);
    expect(log.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ failure: 'not_found', status: 404 });
  });

  it('a refused connection is retried, then logged as network', async () => {
    const g = await grafana();
    const url = g.url;
    await g.close();
    standIns.splice(standIns.indexOf(g), 1);
    const log = new RecordingLog();
    const a = grafanaAdapter.create({ url, token: 't', retryBackoff: 0 }, { log, now: Date.now });
    new Run(a).start();
    await a.settle();
    expect(log.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ failure: 'network', attempts: 3 });
  });

  it('a hung Grafana delays nothing: the hook returns before any request is sent, other experiments go on, the timeout ends the wait', async () => {
    const g = await grafana();
    const { a, log } = annotator(g, { timeout: 300 });
    g.hangNext(1);
    const before = makeRecord('approved', null, { id: 'exp-hung01' });
    const after = transition(before, { type: 'start', actor: alice, currentPlanHash: before.planHash, limits: openLimits, targetIds: ['checkout-1'], authority }, T0).state;
    // The hook returns nothing to wait for, and nothing was sent on this turn.
    expect(a.onTransition(before, after, null)).toBeUndefined();
    expect(g.requests).toHaveLength(0);
    expect(a.inFlight).toBe(1);

    new Run(a, 'exp-other1').start();
    await waitUntil(() => g.withTags('exp-other1').length === 1);
    expect(g.hanging).toBe(1);
    expect(g.withTags('exp-hung01')).toEqual([]);

    await a.settle();
    expect(log.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ failure: 'timeout', attempts: 1, experimentId: 'exp-hung01' });
    // A timeout is not retried (Grafana may have stored it): one request for that annotation.
    expect(g.requests.filter((r) => r.body.includes('exp-hung01'))).toHaveLength(1);
  });

  it('past maxPending, annotations are dropped and logged', async () => {
    const g = await grafana({ hang: true });
    const { a, log } = annotator(g, { timeout: 200, maxPending: 2 });
    new Run(a).start().inject();
    new Run(a, 'exp-third1').start();
    expect(log.lines.find((l) => l.msg === 'grafana annotation dropped')?.obj).toMatchObject({ failure: 'queue_full', experimentId: 'exp-third1', annotation: 'start' });
    await a.settle();
  });
});

async function waitUntil(probe: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
