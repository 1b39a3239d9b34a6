/**
 * A CloudWatch alarm as a guardrail, end to end below chat: the playbook is read by the real loader
 * (checked against the cloudwatch schema), the engine samples the real source, the source asks the
 * stand-in through the real SDK client. The alarm going to ALARM aborts the run and reverts the fault;
 * an alarm that does not exist refuses the start.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cloudwatchSignalAdapter, createCloudWatchSource } from '../../src/adapters/signals/cloudwatch/index.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { loadPlaybooks } from '../../src/playbooks/load-playbooks.js';
import { openStore, type Store } from '../../src/store/index.js';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { registerCloudWatch, type CloudWatchStandIn } from '../fakes/aws/cloudwatch-service.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { alice, baseSettings, bob, CANDIDATES, waitFor } from '../engine/engine-harness.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function playbook(name: string, alarm: string, extra = ''): string {
  return `
kind: Experiment
name: ${name}
hypothesis: If half the web replicas slow down, the 5xx alarm of the load balancer stays OK
owner: team-web
target: { adapter: memory, selector: { service: web }, blastRadius: percent:50 }
fault: { type: latency, parameters: { ms: 250 }, duration: 10s }
steadyState:
  - name: 5xx per minute
    signal:
      source: cloudwatch
      metric: { namespace: AWS/ApplicationELB, name: HTTPCode_Target_5XX_Count, dimensions: { LoadBalancer: app/web/1234 }, stat: Sum }
    comparison: '<='
    threshold: 5
guardrails:
  - name: web 5xx alarm
    signal: { source: cloudwatch, alarm: ${alarm} }
    comparison: '>='
    threshold: 1
${extra}maxUnknown: 2
`;
}

let standIn: AwsStandIn;
let cw: CloudWatchStandIn;
let dir: string;
let store: Store;
let engine: Engine;
let target: MemoryTarget;
let chat: RecordingChat;
let reports: ReturnType<typeof loadPlaybooks>['reports'];

beforeAll(async () => {
  standIn = await AwsStandIn.start();
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  cw = registerCloudWatch(standIn, {
    alarms: [{ name: 'web-5xx', state: 'OK' }],
    series: [{ namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: { LoadBalancer: 'app/web/1234' }, points: [1, 2, 3].map((k) => ({ at: minute - k * 60_000, value: 0 })) }],
  });
  dir = mkdtempSync(join(tmpdir(), 'faultline-cw-guardrail-'));
  mkdirSync(join(dir, 'playbooks'));
  writeFileSync(join(dir, 'playbooks', 'web-alarm.yaml'), playbook('web-alarm', 'web-5xx'));
  writeFileSync(join(dir, 'playbooks', 'web-typo.yaml'), playbook('web-typo', 'web-5xxx'));
  writeFileSync(join(dir, 'playbooks', 'web-bad.yaml'), playbook('web-bad', 'web-5xx, window: 5m'));
  const source = createCloudWatchSource(cloudwatchSignalAdapter.configSchema.parse({ region: 'eu-west-1', endpoint: standIn.url }), { log: quiet, now: Date.now }, { credentials: TEST_CREDENTIALS });
  target = new MemoryTarget(CANDIDATES);
  const signals = new Map([['cloudwatch', source]]);
  const loaded = loadPlaybooks([join(dir, 'playbooks')], { targets: new Map([['memory', target]]), signals }, {});
  reports = loaded.reports;
  store = openStore({ path: join(dir, 'faultline.db') });
  chat = new RecordingChat();
  engine = createEngine({
    store,
    targets: new Map([['memory', target]]),
    signals,
    chat,
    clock: { now: () => Date.now() },
    log: new RecordingLog(),
    playbooks: () => loaded.playbooks,
    gamedays: () => loaded.gamedays,
    settings: { ...baseSettings(dir), guardrailIntervalMs: 50, signalTimeoutMs: 2_000 },
    random: seededRandom(7),
    schedules: ScheduleSettings.parse({}),
  });
});
afterEach(async () => {
  await engine.runner.settle();
});
afterAll(async () => {
  engine.runner.faults.stop();
  store.close();
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

async function launch(name: string): Promise<string> {
  const { record } = await engine.experiments.propose({ playbook: name, actor: alice });
  await engine.experiments.approve(record.id, bob);
  await engine.experiments.start(record.id, alice);
  return record.id;
}

describe('a CloudWatch alarm as a guardrail, through the playbook loader and the engine', () => {
  it('the loader takes the cloudwatch signals and refuses a window on an alarm, naming the field', () => {
    const byName = Object.fromEntries(reports.map((r) => [r.name, r]));
    expect(byName['web-alarm']).toMatchObject({ ok: true, problems: [] });
    expect(byName['web-typo']).toMatchObject({ ok: true });
    expect(byName['web-bad']!.ok).toBe(false);
    expect(byName['web-bad']!.problems.join('\n')).toBe("guardrails[0].signal.window (line 17): an alarm has its own periods; `window` applies to a metric or an expression");
  });

  it('the alarm going to ALARM mid-run aborts with guardrail_breach and reverts the fault', async () => {
    const id = await launch('web-alarm');
    await waitFor('the fault to go in', () => target.faults.size > 0, 5_000);
    cw.setAlarm('web-5xx', 'ALARM', 'Threshold Crossed: 1 datapoint [42.0] was greater than the threshold (5.0).');
    await engine.runner.settle();
    const r = engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    const breach = store.journal(id).find((j) => j.kind === 'breach')!;
    expect(breach.data).toMatchObject({ guardrail: 'web 5xx alarm', status: 'breach' });
    expect(String(breach.data.detail)).toMatch(/^1 >= 1 for /);
    expect(target.faults.size).toBe(0);
    expect(chat.transcript()).toContain('guardrail breached: web 5xx alarm');
    cw.setAlarm('web-5xx', 'OK');
  });

  it('a guardrail on an alarm that does not exist refuses the start: nothing is injected', async () => {
    const id = await launch('web-typo');
    await engine.runner.settle();
    const r = engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('preflight_failed');
    expect(JSON.stringify(store.journal(id).find((j) => j.kind === 'preflight')!.data)).toContain('no alarm named \\"web-5xxx\\" in eu-west-1');
    expect(store.journal(id).map((j) => j.kind)).not.toContain('inject-intent');
  });
});
