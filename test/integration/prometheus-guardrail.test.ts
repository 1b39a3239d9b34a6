import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleChat } from '../../src/adapters/chat/console/index.js';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSandboxProcess, type SandboxProcess as Sandbox } from './sandbox-process.js';
import { activeFaults, ROOT, waitUntil } from './harness.js';
import { prometheusBinary, startPrometheus, type RunningPrometheus } from './prometheus-harness.js';

const binary = prometheusBinary();
if (!binary) console.log('prometheus guardrail tests skipped: no `prometheus` binary on PATH (CI installs Debian\'s package in .ci/run)');

// `or vector(0)`: with no 5xx series at all the ratio is 0, not an empty (unknown) answer.
const SYNTAX_ERROR = 'sum(rate(sandbox_proxy_requests_total[5s]) by';
// A code no proxy ever answers with: a well-formed query that matches no series.
const EMPTY_VECTOR = 'sum by (code) (rate(sandbox_proxy_requests_total{code="799"}[5s]))';
// Syntax the grammar accepts, types Prometheus refuses: rate() of an instant vector.
const TYPE_ERROR = 'rate(sandbox_proxy_requests_total)';
const ERROR_RATIO = '(sum(rate(sandbox_proxy_requests_total{code=~"5.."}[5s])) or vector(0)) / sum(rate(sandbox_proxy_requests_total[5s]))';

function playbook(name: string, guardrailFor: string, query = ERROR_RATIO): string {
  return [
    'kind: Experiment',
    `name: ${name}`,
    'hypothesis: If two of three replicas fail most requests, then the 5xx ratio seen by Prometheus stays below 5 %.',
    'owner: team-checkout',
    'target: { adapter: process, selector: { service: checkout }, blastRadius: count:2 }',
    'fault: { type: http-error, parameters: { percent: 80 }, duration: 1m }',
    'guardrails:',
    '  - name: 5xx ratio (Prometheus)',
    `    signal: { source: prometheus, query: '${query}' }`,
    '    comparison: ">"',
    '    threshold: 0.05',
    `    for: ${guardrailFor}`,
    'maxUnknown: 3',
    '',
  ].join('\n');
}

describe.skipIf(!binary)('guardrails on the real Prometheus binary', () => {
  let dir: string;
  let sandbox: Sandbox;
  let prom: RunningPrometheus;
  let app: App;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-prom-'));
    sandbox = await startSandboxProcess({ rps: 40, statsWindowSeconds: 10 });
    prom = await startPrometheus(binary!, dir, [new URL(sandbox.adminUrl).host]);
    mkdirSync(path.join(dir, 'playbooks'));
    writeFileSync(path.join(dir, 'playbooks', 'prom-breach.yaml'), playbook('prom-breach', '2s'));
    writeFileSync(path.join(dir, 'playbooks', 'prom-blind.yaml'), playbook('prom-blind', '30s'));
    writeFileSync(path.join(dir, 'playbooks', 'prom-syntax.yaml'), playbook('prom-syntax', '2s', SYNTAX_ERROR));
    writeFileSync(path.join(dir, 'playbooks', 'prom-empty.yaml'), playbook('prom-empty', '2s', EMPTY_VECTOR));
    const config = Config.parse({
      approvers: ['bob'],
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [path.join(dir, 'playbooks')] },
      templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
      sandbox: { autoStart: false },
      engine: { guardrailInterval: '1s', signalTimeout: '1s', postcheckTimeout: '5s' },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } }, signals: { prometheus: { url: prom.url } } },
    });
    app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'warn', file: path.join(dir, 'log') }), vars: playbookVars(config, sandbox), cwd: ROOT });
    // The first rate() answer needs a few scrapes.
    await waitUntil('Prometheus to have rates', async () => (await prom.query(ERROR_RATIO)).length > 0, 30_000);
  }, 60_000);
  afterAll(async () => {
    await app?.shutdown('test finished');
    await prom?.stop();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string): Promise<string> {
    const { record } = await app.engine.experiments.propose({ playbook: name, actor: { id: 'alice' } });
    await app.engine.experiments.approve(record.id, { id: 'bob' });
    await app.engine.experiments.start(record.id, { id: 'alice' });
    return record.id;
  }

  it('a PromQL syntax error is refused at propose, with its place in the query; the file is reported at load', async () => {
    const report = app.playbookReports.find((r) => r.file.endsWith('prom-syntax.yaml'))!;
    expect(report).toMatchObject({ ok: false, name: 'prom-syntax' });
    expect(report.problems).toEqual(['guardrails[0].signal.query (line 9): PromQL syntax error at 1:44 near "by"']);
    const refused = await app.engine.experiments.propose({ playbook: 'prom-syntax', actor: { id: 'alice' } }).then(
      () => null,
      (err: { code?: string; message: string }) => err,
    );
    expect(refused?.code).toBe('playbook_invalid');
    expect(refused?.message).toBe('playbook "prom-syntax" (prom-syntax.yaml) did not load: guardrails[0].signal.query (line 9): PromQL syntax error at 1:44 near "by"');
  });

  it('a guardrail whose query returns an empty vector refuses the start in pre-flight: nothing injected', async () => {
    expect(await prom.query(EMPTY_VECTOR)).toEqual([]);
    const id = await run('prom-empty');
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('preflight_failed');
    expect(r.abort?.reason).toBe('pre-flight failed: guardrail "5xx ratio (Prometheus)" unknown: no data: the query returned an empty result');
    expect(r.injectedAt).toBeNull();
    const kinds = app.engine.journal.of(id).map((e) => e.kind);
    expect(kinds).toContain('preflight');
    expect(kinds).not.toContain('inject-intent');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
  }, 30_000);

  it('faultline validate --check runs each query once against PROMETHEUS_URL and reports errors and empty results per guardrail', () => {
    const checkDir = path.join(dir, 'check');
    mkdirSync(checkDir);
    // A wider window than the runs use: a starved scrape or two (the CLI starting on a busy machine) leaves it readable.
    writeFileSync(path.join(checkDir, 'good.yaml'), playbook('good', '2s', ERROR_RATIO.replaceAll('[5s]', '[1m]')));
    writeFileSync(path.join(checkDir, 'empty.yaml'), playbook('empty', '2s', EMPTY_VECTOR));
    writeFileSync(path.join(checkDir, 'types.yaml'), playbook('types', '2s', TYPE_ERROR));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'src', 'app', 'faultline.mjs'), 'validate', '--check', '.'], {
      cwd: checkDir,
      encoding: 'utf8',
      env: { ...process.env, FAULTLINE_CONFIG: '', SLACK_BOT_TOKEN: '', PROMETHEUS_URL: prom.url },
      timeout: 60_000,
    });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^ {2}✓ good\.yaml: guardrails\[0\] 5xx ratio \(Prometheus\): [\d.e-]+ \(abort when > 0\.05\)$/m);
    expect(r.stdout).toContain('  ✗ empty.yaml: guardrails[0] 5xx ratio (Prometheus): unknown: no data: the query returned an empty result\n');
    expect(r.stdout).toMatch(/^ {2}✗ types\.yaml: guardrails\[0\] 5xx ratio \(Prometheus\): unknown: query failed \(bad_data\): .*range vector/m);
    expect(r.stdout).toContain('3 valid, 0 invalid, 2 signal(s) that cannot be read');
  }, 60_000);

  it('breaks when the 5xx ratio in Prometheus crosses the threshold for the window, and the abort reverts', async () => {
    // The pre-flight refuses a guardrail that reads nothing: wait out a gap in the 5 s rate window first.
    await waitUntil('a 5xx ratio to read', async () => (await prom.query(ERROR_RATIO)).length > 0, 20_000);
    const id = await run('prom-breach');
    await waitUntil('the fault', async () => (await activeFaults(sandbox.adminUrl)).some((f) => f.experimentId === id));
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(r.abort?.reason).toMatch(/^guardrail breached: 5xx ratio \(Prometheus\) \([\d.]+ > 0\.05 for [\d.]+s of 2s\)$/);
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
    // No steady-state checks in this playbook: the guardrail was still read from Prometheus before the fault went in.
    const journal = app.engine.journal.of(id);
    const preflight = journal.find((e) => e.kind === 'preflight')!;
    expect(preflight.data.guardrails).toEqual([expect.objectContaining({ name: '5xx ratio (Prometheus)', passed: true, value: expect.any(Number) })]);
    expect(preflight.seq).toBeLessThan(journal.find((e) => e.kind === 'inject-intent')!.seq);
  }, 60_000);

  it('Prometheus stopped mid-run: the guardrail goes blind, the experiment aborts and reverts', async () => {
    await waitUntil('errors to leave the 5 s window', async () => Number((await prom.query(ERROR_RATIO))[0]?.value[1] ?? 1) < 0.01, 20_000);
    const id = await run('prom-blind');
    await waitUntil('observing', () => app.engine.experiments.get(id).record.phase === 'observing', 10_000);
    await prom.stop();
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_blind');
    expect(r.verdict).toBe('inconclusive');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
  }, 60_000);
});
