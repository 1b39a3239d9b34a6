import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { grafanaAdapter, type GrafanaAnnotator } from '../../src/adapters/annotations/grafana/index.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import type { LoadedPlaybook } from '../../src/playbooks/load-playbooks.js';
import { openStore, type Store } from '../../src/store/index.js';
import { GrafanaStandIn } from '../fakes/grafana-api.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { ScriptedSignal } from '../fakes/scripted-signal.js';
import { alice, baseSettings, bob, CANDIDATES, carol, HEALTHY, parsePlaybook, playbookYaml, waitFor } from './engine-harness.js';

/** The engine over the in-memory target and scripted signal, told of every transition by a Grafana annotator. */
function engineWithGrafana(grafana: GrafanaStandIn, timeout = 10_000) {
  const dir = mkdtempSync(join(tmpdir(), 'faultline-grafana-'));
  const store: Store = openStore({ path: join(dir, 'faultline.db') });
  const target = new MemoryTarget(CANDIDATES);
  const signal = new ScriptedSignal(HEALTHY);
  const log = new RecordingLog();
  const playbook = parsePlaybook(playbookYaml({ duration: '5s' }), target, signal);
  const playbooks = new Map<string, LoadedPlaybook>([[playbook.name, { file: `${playbook.name}.yaml`, playbook }]]);
  const annotator: GrafanaAnnotator = grafanaAdapter.create({ url: grafana.url, token: grafana.token, timeout, retries: 0 }, { log, now: Date.now });
  const engine: Engine = createEngine({
    store,
    targets: new Map([[target.kind, target]]),
    signals: new Map([[signal.kind, signal]]),
    chat: new RecordingChat(),
    clock: { now: () => Date.now() },
    log,
    playbooks: () => playbooks,
    settings: baseSettings(dir),
    random: seededRandom(7),
    onTransition: annotator.onTransition,
    schedules: ScheduleSettings.parse({}),
  });
  const launch = async () => {
    const { record } = await engine.experiments.propose({ playbook: playbook.name, actor: alice });
    await engine.experiments.approve(record.id, bob);
    await engine.experiments.start(record.id, alice);
    return record.id;
  };
  const close = async () => {
    await engine.runner.settle();
    engine.runner.faults.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { engine, target, log, annotator, launch, close };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('Grafana annotations from the engine (memory target, scripted signals)', () => {
  it('an aborted run: start, fault window, abort and end, with the engine\'s own times', async () => {
    const g = await GrafanaStandIn.start();
    cleanups.push(() => g.close());
    const e = engineWithGrafana(g);
    cleanups.push(e.close);
    const id = await e.launch();
    await waitFor('the fault to be in', () => e.engine.experiments.get(id).record.phase === 'observing');
    e.engine.experiments.abort(id, carol, 'error budget');
    await e.engine.runner.settle();
    await e.annotator.settle();

    const r = e.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(g.withTags('faultline', id).map((a) => a.tags.slice(3))).toEqual([['start'], ['fault'], ['abort'], ['end', r.verdict!]]);
    expect(g.withTags(id, 'start')[0]!.time).toBe(r.startedAt);
    expect(g.withTags(id, 'fault')[0]!.time).toBe(r.injectedAt);
    expect(g.withTags(id, 'fault')[0]!.timeEnd).toBeGreaterThan(r.injectedAt!);
    expect(g.withTags(id, 'fault')[0]!.timeEnd).toBeLessThanOrEqual(r.endedAt!);
    expect(g.withTags(id, 'abort')[0]).toMatchObject({ time: r.abort!.at, text: expect.stringContaining('error budget') });
    expect(g.withTags(id, 'end')[0]!.time).toBe(r.endedAt);
  });

  it('a Grafana that never answers holds up nothing: the abort reverts the fault while every request still hangs', async () => {
    const g = await GrafanaStandIn.start({ hang: true });
    cleanups.push(() => g.close());
    const e = engineWithGrafana(g, 30_000);
    cleanups.push(e.close);
    const id = await e.launch();
    await waitFor('the fault to be in', () => e.engine.experiments.get(id).record.phase === 'observing');
    const aborted = e.engine.experiments.abort(id, carol, 'stop now');
    expect(aborted.record.phase).toBe('reverting');
    await e.engine.runner.settle();

    expect(e.engine.experiments.get(id).record.state).toBe('aborted');
    expect(e.target.faults.size).toBe(0);
    expect(e.target.revertCalls).toHaveLength(1);
    // The first annotation (the start) is still waiting for Grafana; the rest queue behind it.
    expect(g.hanging).toBe(1);
    expect(e.annotator.inFlight).toBeGreaterThanOrEqual(4);
    expect(e.log.messages('warn').filter((m) => m.startsWith('grafana'))).toEqual([]);
    // Grafana goes away: what waited fails (logged), nothing is left pending.
    await g.close();
    await e.annotator.settle();
    expect(e.annotator.inFlight).toBe(0);
    expect(e.log.messages('warn').filter((m) => m === 'grafana annotation failed').length).toBeGreaterThanOrEqual(4);
  });
});
