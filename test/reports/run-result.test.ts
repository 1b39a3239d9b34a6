import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, RunOutcome, RunResult, exitCodeFor, junitXml, runResult, writeJunit, type RunResultOptions } from '../../src/reports/run-result/index.js';
import { UNKNOWN } from '../fakes/scripted-signal.js';
import { bob, carol, engineFactory, parsePlaybook, refusal, type Engine } from '../engine/engine-harness.js';

const engine = engineFactory();

/** The run result of `id` as `faultline run` would take it: the stored record, its journal and the playbook's hypothesis. */
function resultOf(e: Engine, id: string, opts: Partial<RunResultOptions> = {}): RunResult {
  const entry = e.service.get(id);
  return runResult(entry.record, e.journal(id), { hypothesis: entry.spec.hypothesis, ...opts });
}

interface Prop {
  name: string;
  value: string;
}
interface Case {
  name: string;
  classname: string;
  failure?: { message: string; type: string; '#text'?: string } | '';
  error?: { message: string; type: string; '#text'?: string };
  skipped?: unknown;
  'system-out'?: string;
}
interface Suite {
  name: string;
  tests: string;
  failures: string;
  errors: string;
  skipped: string;
  properties: { property: Prop[] };
  testcase: Case[];
}

/** The JUnit XML parsed back with a real parser: suites, their properties and cases (always as lists); CDATA reads as text. */
function parseJunit(xml: string): { suites: Suite[]; root: Record<string, string> } {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  const doc = parser.parse(xml) as { testsuites: Record<string, string> & { testsuite: Suite[] } };
  const { testsuite, ...root } = doc.testsuites;
  return { suites: testsuite, root };
}

const props = (s: Suite) => Object.fromEntries(s.properties.property.map((p) => [p.name, p.value]));
const caseNamed = (s: Suite, name: string) => s.testcase.find((c) => c.name === name)!;

function roundTrips(result: RunResult): void {
  expect(RunResult.parse(JSON.parse(JSON.stringify(result)))).toEqual(result);
}

describe('run result of a held experiment', () => {
  it('says held, exit 0, every check and guardrail with its readings, the receipt confirmed; JUnit has no failure', async () => {
    const e = engine();
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({
      version: 1,
      experimentId: id,
      playbook: 'web-latency',
      hypothesis: 'If some web replicas slow down, the error rate stays under 5 %',
      state: 'completed',
      phase: null,
      verdict: 'held',
      outcome: 'held',
      abort: null,
      refusal: null,
      failure: null,
      fault: { adapter: 'memory', type: 'latency', parameters: { ms: 250 }, durationMs: 400, blastRadius: 'percent:50', partial: null },
    });
    expect(exitCodeFor(r.outcome)).toBe(0);
    expect(r.targets.map((t) => t.name)).toEqual(e.service.get(id).record.plan.targets.map((t) => t.name));
    expect(r.targets).toHaveLength(2);
    expect(r.durationMs).toBeGreaterThanOrEqual(400);
    expect(Date.parse(r.endedAt!) - Date.parse(r.startedAt!)).toBe(r.durationMs);

    const [check] = r.steadyState;
    expect(check).toMatchObject({ name: 'success rate', comparison: '>=', threshold: 0.99, ok: true, during: [] });
    expect(check!.before).toMatchObject({ value: 1, ok: true });
    expect(check!.after).toMatchObject({ value: 1, ok: true });

    const [guard] = r.guardrails;
    expect(guard).toMatchObject({ name: 'error rate', comparison: '>', threshold: 0.05, maxUnknown: 3, breached: false, blind: false, breach: null });
    expect(guard!.preflight).toMatchObject({ value: 0, ok: true });
    expect(guard!.readings).toMatchObject({ unknown: 0, min: 0, max: 0, last: 0, worst: 'ok' });
    expect(guard!.readings.count).toBeGreaterThan(3);

    expect(r.reverts).toHaveLength(1);
    expect(r.reverts[0]).toMatchObject({ adapter: 'memory', fault: 'latency', revertedBy: 'run', confirmed: true, differences: [], error: null });
    expect(r.reverts[0]!.targets).toEqual(r.targets.map((t) => t.name));
    expect(r.links.postmortem).toBe(e.journal(id).find((j) => j.kind === 'postmortem')!.data.path);
    expect(resultOf(e, id, { postmortemPath: 'drafts/x.md' }).links.postmortem).toBe('drafts/x.md');
    roundTrips(r);

    const { suites, root } = parseJunit(junitXml(r));
    expect(root).toMatchObject({ name: 'faultline', tests: '2', failures: '0', errors: '0' });
    expect(suites).toHaveLength(1);
    const [suite] = suites;
    expect(suite).toMatchObject({ name: 'web-latency', tests: '2', failures: '0', errors: '0', skipped: '0' });
    expect(props(suite!)).toMatchObject({ experiment: id, verdict: 'held', fault: 'latency', outcome: 'held' });
    expect(props(suite!).abort).toBeUndefined();
    expect(suite!.testcase.map((c) => [c.classname, c.name])).toEqual([
      ['web-latency.steady-state', 'success rate'],
      ['web-latency.guardrail', 'error rate'],
    ]);
    expect(suite!.testcase.every((c) => c.failure === undefined && c.error === undefined)).toBe(true);
    expect(caseNamed(suite!, 'error rate')['system-out']).toContain(`${guard!.readings.count} rounds, 0 unknown`);
  });

  it('writeJunit writes the same XML to a file, creating its folder', async () => {
    const e = engine();
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);
    const file = join(e.dir, 'reports', 'junit', 'faultline.xml');
    writeJunit(r, file);
    expect(readFileSync(file, 'utf8')).toBe(junitXml(r));
    expect(readdirSync(join(e.dir, 'reports', 'junit'))).toEqual(['faultline.xml']); // no temporary file left
  });
});

describe('steady state while the fault is in', () => {
  it('a guardrail on the same signal gives the check its readings during the fault, judged by the check; ok stays the engine\'s before/after', async () => {
    const e = engine();
    const yaml = `
kind: Experiment
name: success-watched
hypothesis: If some web replicas slow down, the success rate stays at 99 %
owner: team-web
target: { adapter: memory, selector: { service: web }, blastRadius: one }
fault: { type: latency, parameters: { ms: 250 }, duration: 300ms }
steadyState:
  - { name: success rate, signal: { source: scripted, key: success }, comparison: '>=', threshold: 0.99 }
guardrails:
  - { name: success floor, signal: { source: scripted, key: success }, comparison: '<', threshold: 0.5 }
`;
    e.playbooks.set('success-watched', { file: 'success-watched.yaml', playbook: parsePlaybook(yaml, e.target, e.signal) });
    // Calls 0 and 1 are the pre-flight (guardrail, then check); the first rounds dip below the check, not the floor.
    e.signal.set('success', (n) => (n >= 2 && n <= 3 ? 0.95 : 1));
    const id = await e.launch('success-watched');
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r.outcome).toBe('held');
    const check = r.steadyState[0]!;
    expect(check.ok).toBe(true);
    expect(check.during).toHaveLength(r.guardrails[0]!.readings.count);
    expect(check.during.slice(0, 2)).toEqual([
      expect.objectContaining({ value: 0.95, ok: false, detail: '0.95 fails >= 0.99' }),
      expect.objectContaining({ value: 0.95, ok: false }),
    ]);
    expect(check.during.slice(2).every((x) => x.ok && x.value === 1)).toBe(true);
    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ failures: '0' });
    expect(caseNamed(suite!, 'success rate')['system-out']).toContain('while the fault was in: 0.95 FAIL (0.95 fails >= 0.99)');
  });
});

describe('run result of a refuted experiment', () => {
  it('a guardrail breach: refuted, exit 1, the breach with the readings that made it; JUnit fails that guardrail', async () => {
    const e = engine({ playbooks: [{ duration: '3s', for: '50ms' }] });
    e.signal.set('errors', (n) => (n >= 3 ? 0.5 : 0.01));
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'aborted', verdict: 'refuted', outcome: 'refuted' });
    expect(exitCodeFor(r.outcome)).toBe(1);
    expect(r.abort).toMatchObject({ automatic: true, code: 'guardrail_breach', by: { id: 'faultline' } });
    const guard = r.guardrails[0]!;
    expect(guard.breached).toBe(true);
    expect(guard.blind).toBe(false);
    expect(guard.readings).toMatchObject({ min: 0.01, max: 0.5, last: 0.5, worst: 'breach', unknown: 0 });
    const breach = guard.breach!;
    expect(breach.status).toBe('breach');
    expect(breach.readings.length).toBeGreaterThanOrEqual(2); // pending first, then the breach: the `for` window
    expect(breach.readings.every((x) => x.value === 0.5)).toBe(true);
    expect(breach.readings.at(-1)!.status).toBe('breach');
    expect(breach.readings.slice(0, -1).every((x) => x.status === 'pending')).toBe(true);
    expect(Date.parse(breach.at)).toBeGreaterThanOrEqual(Date.parse(breach.readings.at(-1)!.at));
    expect(r.steadyState[0]!.ok).toBe(true); // the steady state came back after the revert
    expect(r.reverts[0]).toMatchObject({ confirmed: true, revertedBy: 'run' });
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ tests: '2', failures: '1', errors: '0' });
    expect(props(suite!)).toMatchObject({ verdict: 'refuted', abort: expect.stringMatching(/^guardrail_breach: guardrail breached: error rate/) });
    expect(caseNamed(suite!, 'success rate').failure).toBeUndefined();
    const failure = caseNamed(suite!, 'error rate').failure as { message: string; type: string; '#text': string };
    expect(failure.type).toBe('guardrail_breach');
    expect(failure.message).toContain(`error rate breached: 0.5 > 0.05 at ${breach.readings.at(-1)!.at}`);
    const body = failure['#text'].split('\n');
    expect(body).toContain(`readings up to the breach at ${breach.at}:`);
    for (const x of breach.readings) expect(body).toContain(`${x.at}  0.5  ${x.status}  ${x.detail}`);
    // No `run` case: the failing guardrail says why the run was aborted.
    expect(suite!.testcase.map((c) => c.name)).toEqual(['success rate', 'error rate']);
  });

  it('a steady state that does not come back after the revert: refuted, the check fails naming the reading after the revert', async () => {
    const e = engine({ settings: { postcheckTimeoutMs: 0 } });
    e.signal.set('success', (n) => (n === 0 ? 1 : 0.9));
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'completed', verdict: 'refuted', outcome: 'refuted', abort: null });
    expect(exitCodeFor(r.outcome)).toBe(1);
    const check = r.steadyState[0]!;
    expect(check).toMatchObject({ ok: false, before: { value: 1, ok: true }, after: { value: 0.9, ok: false } });

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ failures: '1' });
    const failure = caseNamed(suite!, 'success rate').failure as { message: string; type: string; '#text': string };
    expect(failure.type).toBe('steady_state_failed');
    expect(failure.message).toBe(`success rate: 0.9 fails >= 0.99 after the revert, at ${check.after!.at}`);
    expect(failure['#text']).toContain(`${check.before!.at}  before injection: 1 pass`);
    expect(failure['#text']).toContain(`${check.after!.at}  after the revert: 0.9 FAIL`);
    expect(caseNamed(suite!, 'error rate').failure).toBeUndefined();
  });
});

describe('run result of a blind experiment', () => {
  it('unknown readings: inconclusive, exit 2, the guardrail blind with its unknown count; JUnit fails it naming the count', async () => {
    const e = engine({ playbooks: [{ duration: '4s', maxUnknown: 3 }] });
    e.signal.set('errors', UNKNOWN('query returned no series'), [0]);
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'aborted', verdict: 'inconclusive', outcome: 'inconclusive' });
    expect(exitCodeFor(r.outcome)).toBe(2);
    expect(r.abort).toMatchObject({ automatic: true, code: 'guardrail_blind' });
    const guard = r.guardrails[0]!;
    expect(guard).toMatchObject({ blind: true, breached: false });
    expect(guard.readings).toMatchObject({ count: 3, unknown: 3, min: null, max: null, last: null, worst: 'blind' });
    expect(guard.breach!.status).toBe('blind');
    expect(guard.breach!.readings.map((x) => [x.value, x.status])).toEqual([
      [null, 'pending'],
      [null, 'pending'],
      [null, 'blind'],
    ]);
    expect(guard.breach!.detail).toContain('query returned no series');
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ tests: '2', failures: '1' });
    const failure = caseNamed(suite!, 'error rate').failure as { message: string; type: string; '#text': string };
    expect(failure.type).toBe('guardrail_blind');
    expect(failure.message).toMatch(/^error rate went blind at \S+: 3 unknown readings in a row \(3 of 3 in all\): unknown \(3\/3, .*query returned no series/);
    expect(failure['#text']).toContain('3 rounds, 3 unknown');
    expect(failure['#text'].match(/ unknown {2}(pending|blind) {2}/g)).toHaveLength(3);
  });
});

describe('run result of a run refused at start', () => {
  it('steady state failed before injection: refused, exit 3, nothing injected; JUnit has the one case `start` failing with the code', async () => {
    const e = engine();
    e.signal.set('success', 0.5);
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'aborted', verdict: 'inconclusive', outcome: 'refused', injectedAt: null, reverts: [] });
    expect(exitCodeFor(r.outcome)).toBe(3);
    expect(r.refusal).toMatchObject({ code: 'steady_state_failed', reason: expect.stringContaining('success rate: 0.5 fails >= 0.99') });
    expect(r.steadyState[0]).toMatchObject({ ok: false, before: { value: 0.5, ok: false }, after: null });
    expect(r.guardrails[0]).toMatchObject({ preflight: { ok: true }, readings: { count: 0 }, breach: null });
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ tests: '1', failures: '1' });
    expect(props(suite!)).toMatchObject({ verdict: 'inconclusive', outcome: 'refused', abort: expect.stringContaining('steady_state_failed') });
    expect(suite!.testcase).toHaveLength(1);
    const start = suite!.testcase[0]!;
    expect(start.name).toBe('start');
    expect(start.failure).toMatchObject({ type: 'steady_state_failed', message: `steady_state_failed: ${r.refusal!.reason}` });
  });

  it('halted: the start is refused before the record moves; with the refusal given, refused with its code, verdict none', async () => {
    const e = engine();
    const id = await e.proposeApproved();
    e.service.halt(carol, 'incident in progress');
    const refused = await refusal(e.service.start(id, bob));
    expect(refused.code).toBe('halted');
    const r = resultOf(e, id, { refusal: { code: refused.code, reason: refused.message } });

    expect(r).toMatchObject({ state: 'approved', verdict: null, outcome: 'refused', startedAt: null, durationMs: null });
    expect(r.refusal).toMatchObject({ code: 'halted', reason: refused.message, at: null });
    expect(exitCodeFor(r.outcome)).toBe(3);
    // Without the refusal the record alone is an approved run that never finished.
    expect(resultOf(e, id).outcome).toBe('timeout');
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(props(suite!)).toMatchObject({ verdict: 'none', outcome: 'refused' });
    expect(suite!.testcase.map((c) => c.name)).toEqual(['start']);
    expect(suite!.testcase[0]!.failure).toMatchObject({ type: 'halted', message: `halted: ${refused.message}` });
  });

  it('rejected by an approver: refused, the rejection as the refusal', async () => {
    const e = engine();
    const { record } = await e.service.propose({ playbook: 'web-latency', actor: bob });
    e.service.reject(record.id, carol, 'not during the sale');
    const r = resultOf(e, record.id);
    expect(r).toMatchObject({ state: 'rejected', outcome: 'refused', refusal: { code: 'rejected', reason: 'not during the sale', by: { id: 'carol' } } });
    expect(parseJunit(junitXml(r)).suites[0]!.testcase[0]!.failure).toMatchObject({ type: 'rejected', message: 'rejected: not during the sale' });
  });
});

describe('run result of a run aborted by a person', () => {
  it('inconclusive, exit 2, who and why; JUnit: no case failed, the suite carries the abort, a skipped case `run` says why', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    await new Promise((resolve) => setTimeout(resolve, 60)); // a few guardrail rounds
    e.service.abort(id, carol, 'customers are complaining');
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'aborted', verdict: 'inconclusive', outcome: 'inconclusive', refusal: null });
    expect(exitCodeFor(r.outcome)).toBe(2);
    expect(r.abort).toMatchObject({ by: { id: 'carol', name: 'Carol' }, automatic: false, code: 'manual', reason: 'customers are complaining' });
    expect(r.guardrails[0]).toMatchObject({ breached: false, blind: false, breach: null });
    expect(r.guardrails[0]!.readings.count).toBeGreaterThan(0);
    expect(r.reverts[0]).toMatchObject({ confirmed: true, revertedBy: 'run' });
    expect(Date.parse(r.endedAt!)).toBeLessThan(Date.parse(r.startedAt!) + 5000);
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ tests: '3', failures: '0', errors: '0', skipped: '1' });
    expect(props(suite!)).toMatchObject({ verdict: 'inconclusive', abort: 'manual: customers are complaining' });
    expect(suite!.testcase.filter((c) => c.name !== 'run').every((c) => c.failure === undefined && c.skipped === undefined)).toBe(true);
    const run = caseNamed(suite!, 'run');
    expect(run.skipped).toBeDefined();
    expect(run['system-out']).toMatch(/^aborted by Carol \(carol\) at \S+ \(manual\): customers are complaining$/);
  });
});

describe('run result of runs that did not end with a verdict', () => {
  it('a run still observing: timeout, exit 3; JUnit has a case `run` in error', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    const r = resultOf(e, id);
    e.service.abort(id, carol, 'test over');

    expect(r).toMatchObject({ state: 'running', phase: 'observing', verdict: null, outcome: 'timeout', endedAt: null, durationMs: null });
    expect(r.reverts[0]).toMatchObject({ revertedAt: null, revertedBy: null, confirmed: null });
    expect(exitCodeFor(r.outcome)).toBe(3);
    const [suite] = parseJunit(junitXml(r)).suites;
    expect(caseNamed(suite!, 'run').error).toMatchObject({ type: 'timeout', message: 'timeout: the run was still running/observing when the command stopped waiting' });
  });

  it('a revert the target does not confirm: failed, exit 3, the receipt with its differences; JUnit has a case `run` in error', async () => {
    const e = engine();
    e.target.revertLies = true;
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = resultOf(e, id);

    expect(r).toMatchObject({ state: 'failed', outcome: 'failed', failure: expect.stringContaining('revert failed') });
    expect(exitCodeFor(r.outcome)).toBe(3);
    const receipt = r.reverts[0]!;
    expect(receipt).toMatchObject({ revertedBy: 'run', confirmed: false, manualSteps: [`clear memory fault ${receipt.handleId}`] });
    expect(receipt.differences[0]).toMatch(/^latency still active on /);
    roundTrips(r);

    const [suite] = parseJunit(junitXml(r)).suites;
    expect(suite).toMatchObject({ errors: '1' });
    const error = caseNamed(suite!, 'run').error!;
    expect(error).toMatchObject({ type: 'failed', message: r.failure });
    expect(error['#text']).toContain(`${receipt.handleId} (latency on ${receipt.targets.join(', ')}): not confirmed: ${receipt.differences[0]}`);
    e.target.revertLies = false;
  });
});

describe('exitCodeFor', () => {
  it('held 0, refuted 1, inconclusive 2, refused/failed/timeout 3; usage errors 4', () => {
    expect(Object.fromEntries(RunOutcome.options.map((o) => [o, exitCodeFor(o)]))).toEqual({ held: 0, refuted: 1, inconclusive: 2, refused: 3, failed: 3, timeout: 3 });
    expect(EXIT_USAGE).toBe(4);
  });
});

describe('RunResult', () => {
  it('ignores journal entries of other experiments', async () => {
    const e = engine();
    const id = await e.launch();
    await e.engine.runner.settle();
    const other = await e.launch();
    await e.engine.runner.settle();
    const mixed = [...e.journal(other), ...e.journal(id)];
    const entry = e.service.get(id);
    expect(runResult(entry.record, mixed, { hypothesis: entry.spec.hypothesis })).toEqual(resultOf(e, id));
  });

  it('a file that is not a run result is refused by the schema', () => {
    expect(RunResult.safeParse({ version: 1, experimentId: 'exp-1' }).success).toBe(false);
  });
});
