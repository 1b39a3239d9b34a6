import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import junitReportBuilder, { type Builder, type TestCase, type TestSuite } from 'junit-report-builder';
import { formatDuration } from '../../core/duration.js';
import { formatNumber } from '../../core/guardrails.js';
import type { CheckReading, GuardrailResult, RunResult, SteadyStateCheck } from './run-result.js';

/*
 * The run result as JUnit XML, the report every CI system shows: one test suite per experiment,
 * one test case per steady-state check and per guardrail. A check that failed or a guardrail that
 * breached or went blind is a <failure>; a run refused before it started is one failing case
 * `start`; a run aborted without a guardrail breaking (by a person, an incident, a shutdown) is a
 * skipped case `run`; a failed run or one that had not finished is a case `run` in <error>.
 */

// The package is CommonJS typed with `export default`: under NodeNext its types put the builder one
// `.default` deeper than Node loads it. Take whichever is there.
const loaded = junitReportBuilder as unknown as Builder & { default?: Builder };
const root: Builder = loaded.default ?? loaded;

const fmt = (v: number | null) => (v === null ? 'unknown' : formatNumber(v));

const WHEN = { before: 'before injection', during: 'while the fault was in', after: 'after the revert' } as const;

function checkLines(c: SteadyStateCheck): string {
  const rows: Array<{ when: keyof typeof WHEN; reading: CheckReading }> = [];
  if (c.before) rows.push({ when: 'before', reading: c.before });
  for (const reading of c.during) rows.push({ when: 'during', reading });
  if (c.after) rows.push({ when: 'after', reading: c.after });
  return rows.map(({ when, reading: r }) => `${r.at}  ${WHEN[when]}: ${fmt(r.value)} ${r.ok ? 'pass' : 'FAIL'} (${r.detail})`).join('\n');
}

function checkCase(suite: TestSuite, result: RunResult, c: SteadyStateCheck): void {
  const tc = suite.testCase().className(`${result.playbook}.steady-state`).name(c.name);
  const rule = `passes when ${c.comparison} ${formatNumber(c.threshold)}`;
  if (c.ok !== false) {
    tc.standardOutput(c.ok === null ? `${rule}; never sampled` : `${rule}\n${checkLines(c)}`);
    return;
  }
  const failed = c.before && !c.before.ok ? (['before', c.before] as const) : (['after', c.after!] as const);
  const [when, r] = failed;
  const what = r.value === null ? `unknown (${r.detail})` : `${fmt(r.value)} fails ${c.comparison} ${formatNumber(c.threshold)}`;
  tc.failure(`${c.name}: ${what} ${WHEN[when]}, at ${r.at}`, 'steady_state_failed').stacktrace(`${rule}\n${checkLines(c)}`);
}

function guardrailSummary(g: GuardrailResult): string {
  const r = g.readings;
  const rule = `aborts when ${g.comparison} ${formatNumber(g.threshold)}${g.forMs > 0 ? ` for ${formatDuration(g.forMs)}` : ''}, blind after ${g.maxUnknown} unknown`;
  const rounds = r.count === 0 ? 'no rounds while the fault was in' : `${r.count} round${r.count === 1 ? '' : 's'}, ${r.unknown} unknown, min ${fmt(r.min)}, max ${fmt(r.max)}, last ${fmt(r.last)}`;
  const pre = g.preflight ? `\npre-flight ${g.preflight.at}: ${g.preflight.ok ? 'pass' : 'FAIL'} (${g.preflight.detail})` : '';
  return `${rule}\n${rounds}${pre}`;
}

function guardrailCase(suite: TestSuite, result: RunResult, g: GuardrailResult): void {
  const tc = suite.testCase().className(`${result.playbook}.guardrail`).name(g.name);
  const b = g.breach;
  if (!b) {
    tc.standardOutput(guardrailSummary(g));
    return;
  }
  const lines = b.readings.map((r) => `${r.at}  ${fmt(r.value)}  ${r.status}  ${r.detail}`).join('\n');
  const body = `${guardrailSummary(g)}\nreadings up to the ${b.status} at ${b.at}:\n${lines || '(none journaled)'}`;
  const last = b.readings.at(-1);
  if (b.status === 'blind') {
    const unknown = b.readings.filter((r) => r.value === null).length;
    tc.failure(`${g.name} went blind at ${b.at}: ${unknown} unknown reading${unknown === 1 ? '' : 's'} in a row (${g.readings.unknown} of ${g.readings.count} in all): ${b.detail}`, 'guardrail_blind').stacktrace(body);
    return;
  }
  const reading = last && last.value !== null ? `${fmt(last.value)} ${g.comparison} ${formatNumber(g.threshold)} at ${last.at}` : `at ${b.at}`;
  tc.failure(`${g.name} breached: ${reading} (${b.detail})`, 'guardrail_breach').stacktrace(body);
}

/** The case `run` for what is not a check or a guardrail: an abort that no guardrail explains, a failed run, a run not finished. */
function runCase(suite: TestSuite, result: RunResult): void {
  const { abort } = result;
  if (result.outcome === 'failed') {
    const receipts = result.reverts
      .filter((r) => r.confirmed !== true)
      .map((r) => `${r.handleId} (${r.fault} on ${r.targets.join(', ') || 'no targets'}): ${r.error ?? (r.confirmed === false ? `not confirmed: ${r.differences.join('; ')}` : 'no revert recorded')}${r.manualSteps.length ? `\n  by hand: ${r.manualSteps.join(' ; ')}` : ''}`);
    suite.testCase().className(`${result.playbook}.run`).name('run').error(result.failure ?? 'the run failed', 'failed', receipts.join('\n') || undefined);
    return;
  }
  if (result.outcome === 'timeout') {
    const where = result.phase ? `${result.state}/${result.phase}` : result.state;
    suite.testCase().className(`${result.playbook}.run`).name('run').error(`timeout: the run was still ${where} when the command stopped waiting`, 'timeout');
    return;
  }
  if (abort && abort.code !== 'guardrail_breach' && abort.code !== 'guardrail_blind') {
    const who = abort.automatic ? 'Faultline' : abort.by.name ? `${abort.by.name} (${abort.by.id})` : abort.by.id;
    suite.testCase().className(`${result.playbook}.run`).name('run').skipped().standardOutput(`aborted by ${who} at ${abort.at} (${abort.code}): ${abort.reason}`);
  }
}

function suiteFor(report: Builder, result: RunResult): TestSuite {
  const suite = report
    .testSuite()
    .name(result.playbook)
    .property('experiment', result.experimentId)
    .property('verdict', result.verdict ?? 'none')
    .property('fault', result.fault.type)
    .property('outcome', result.outcome)
    .property('state', result.state);
  suite.timestamp(new Date(result.startedAt ?? result.proposedAt));
  if (result.durationMs !== null) suite.time(result.durationMs / 1000);
  if (result.abort) suite.property('abort', `${result.abort.code}: ${result.abort.reason}`);
  if (result.links.postmortem) suite.property('postmortem', result.links.postmortem);
  return suite;
}

/** The JUnit XML of one run (see the top of this file for what becomes a case and a failure). */
export function junitXml(result: RunResult): string {
  // A fresh builder each time: the package's default export is one shared instance.
  const report = root.newBuilder().name('faultline');
  const suite = suiteFor(report, result);
  if (result.outcome === 'refused') {
    const r = result.refusal;
    const tc: TestCase = suite.testCase().className(`${result.playbook}.run`).name('start');
    tc.failure(r ? `${r.code}: ${r.reason}` : 'the run was refused before it started', r?.code ?? 'refused');
    return report.build();
  }
  for (const c of result.steadyState) checkCase(suite, result, c);
  for (const g of result.guardrails) guardrailCase(suite, result, g);
  runCase(suite, result);
  return report.build();
}

/**
 * Writes the JUnit XML of one run to `file` (creating the folder) through a temporary file and a
 * rename, so a pipeline never reads half a report. Synchronous: a command about to exit with the
 * verdict has nothing else to do meanwhile.
 */
export function writeJunit(result: RunResult, file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, junitXml(result), 'utf8');
  renameSync(tmp, file);
}
