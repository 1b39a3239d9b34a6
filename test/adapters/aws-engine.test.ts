/**
 * The aws adapter under the real engine (SQLite store, the core's selection, caps and protection):
 * a zone outage proposed, approved, run for its duration, reverted and read back; and a fault whose
 * run the engine no longer has is found from AWS and reverted by reconcile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { TAG_SUSPENDED } from '../../src/adapters/targets/aws/tags.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { Experiment } from '../../src/core/playbook.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import type { LoadedPlaybook } from '../../src/playbooks/load-playbooks.js';
import { openStore, type Store } from '../../src/store/index.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { ScriptedSignal } from '../fakes/scripted-signal.js';
import { alice, baseSettings, bob, waitFor } from '../engine/engine-harness.js';
import { awsBench, type AwsBench } from './aws-support.js';

let b: AwsBench;
let dir: string;
let store: Store;
let engine: Engine;

const signal = new ScriptedSignal({ success: 1, errors: 0 });

function playbook(raw: Record<string, unknown>, driver: ReturnType<AwsBench['driver']>): LoadedPlaybook {
  const spec = Experiment.parse(raw);
  spec.target = driver.schemas.target.parse(raw.target) as Experiment['target'];
  spec.fault = driver.schemas.fault.parse(raw.fault) as Experiment['fault'];
  for (const item of [...spec.steadyState, ...spec.guardrails]) item.signal = signal.schema.parse(item.signal);
  return { file: `${spec.name}.yaml`, playbook: spec };
}

const zoneOutage = {
  kind: 'Experiment',
  name: 'web-zone-a-outage',
  hypothesis: 'If eu-west-1a goes dark, the error rate of web stays under 5 %',
  owner: 'team-web',
  channel: '#chaos',
  target: { adapter: 'aws', selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' },
  fault: { type: 'zone-outage', duration: '600ms' },
  steadyState: [{ name: 'success rate', signal: { source: 'scripted', key: 'success' }, comparison: '>=', threshold: 0.99 }],
  guardrails: [{ name: 'errors', signal: { source: 'scripted', key: 'errors' }, comparison: '>', threshold: 0.05, for: '100ms' }],
};

function build(driver: ReturnType<AwsBench['driver']>): Engine {
  const playbooks = new Map([[zoneOutage.name, playbook(zoneOutage, driver)]]);
  return createEngine({
    store,
    targets: new Map([['aws', driver]]),
    signals: new Map([[signal.kind, signal]]),
    chat: new RecordingChat(),
    clock: { now: () => Date.now() },
    log: new RecordingLog(),
    playbooks: () => playbooks,
    gamedays: () => new Map(),
    settings: { ...baseSettings(dir), caps: { maxTargets: 10, maxPercent: 67, maxConcurrent: 3, maxDurationMs: 60_000 }, targetTimeoutMs: 5_000 },
    random: seededRandom(42),
    schedules: ScheduleSettings.parse({}),
  });
}

beforeEach(async () => {
  b = await awsBench();
  dir = mkdtempSync(join(tmpdir(), 'faultline-aws-engine-'));
  store = openStore({ path: join(dir, 'faultline.db') });
});
afterEach(async () => {
  await engine.runner.settle();
  engine.runner.faults.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  await b.close();
});

function tier(b: AwsBench) {
  const w = b.aws.world;
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  const instances = zones.flatMap((zone) => [1, 2].map((n) => w.addInstance({ zone, tags: { app: 'web', Name: `web-${zone.slice(-1)}${n}` } })));
  const guarded = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-a-keep', [AWS_TAGS.protected]: 'true' } });
  const asg = w.addAsg({ name: 'web-asg', instanceIds: instances.map((i) => i.id) });
  return { instances, guarded, asg, inA: instances.filter((i) => i.zone === 'eu-west-1a') };
}

describe('aws zone outage under the engine', () => {
  it('proposed, approved, run, reverted and confirmed; within the percent cap because the zone is a third of the tier', async () => {
    const { inA, guarded, asg } = tier(b);
    engine = build(b.driver());
    const { record } = await engine.experiments.propose({ playbook: zoneOutage.name, actor: alice });
    expect(record.plan.targets.map((t) => t.name).sort()).toEqual(['web-a1', 'web-a2']);
    expect(record.plan.impact).toEqual(['ASG web-asg: AZRebalance, Launch, ReplaceUnhealthy suspended during the fault']);
    await engine.experiments.approve(record.id, bob);
    await engine.experiments.start(record.id, alice);
    await waitFor('the instances to stop', () => inA.every((i) => b.aws.world.instances.get(i.id)!.state !== 'running'), 5_000);
    expect(asg.suspended.sort()).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    expect(asg.tags[TAG_SUSPENDED]).toBe('AZRebalance,Launch,ReplaceUnhealthy');
    await waitFor('the run to end', () => ['completed', 'aborted', 'failed'].includes(engine.experiments.get(record.id).record.state), 15_000);
    expect(engine.experiments.get(record.id).record).toMatchObject({ state: 'completed' });
    for (const i of inA) expect(b.aws.world.instances.get(i.id)!.state).toBe('running');
    expect(asg.suspended).toEqual([]);
    expect(b.aws.world.instances.get(guarded.id)!.state).toBe('running');
    expect(b.aws.world.changes.some((c) => c.ids.includes(guarded.id))).toBe(false);
    const kinds = store.journal(record.id).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['inject-intent', 'adapter-note', 'injected', 'reverted', 'revert-confirmed']));
    expect(kinds.indexOf('inject-intent')).toBeLessThan(kinds.indexOf('adapter-note'));
    expect(kinds.indexOf('adapter-note')).toBeLessThan(kinds.indexOf('injected'));
  });

  it('a fault left in AWS by a run the engine never saw is found from the tags and reverted by reconcile', async () => {
    const { inA, asg } = tier(b);
    const first = b.driver();
    const targets = await first.preview(first.schemas.target.parse(zoneOutage.target) as Experiment['target'], { log: new RecordingLog() });
    await first.inject(first.schemas.fault.parse(zoneOutage.fault) as Experiment['fault'], targets, {
      experimentId: 'exp-gone',
      handleId: 'h-gone',
      expiresAt: Date.now() + 60_000,
      now: Date.now,
      log: new RecordingLog(),
      note: () => undefined,
    });
    engine = build(b.driver());
    const report = await engine.reconcile('startup');
    expect(JSON.stringify(report)).toContain('h-gone');
    for (const i of inA) expect(b.aws.world.instances.get(i.id)!.state).toBe('running');
    expect(asg.suspended).toEqual([]);
    expect(await b.driver().listOwned({ log: new RecordingLog() })).toEqual([]);
  });
});
