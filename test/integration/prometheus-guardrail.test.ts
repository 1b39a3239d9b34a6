import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleChat } from '../../src/adapters/chat/console/index.js';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { activeFaults, ROOT, waitUntil } from './harness.js';
import { prometheusBinary, startPrometheus, type RunningPrometheus } from './prometheus-harness.js';

const binary = prometheusBinary();
if (!binary) console.log('prometheus guardrail tests skipped: no `prometheus` binary on PATH (CI installs Debian\'s package in .ci/run)');

// `or vector(0)`: with no 5xx series at all the ratio is 0, not an empty (unknown) answer.
const ERROR_RATIO = '(sum(rate(sandbox_proxy_requests_total{code=~"5.."}[5s])) or vector(0)) / sum(rate(sandbox_proxy_requests_total[5s]))';

function playbook(name: string, guardrailFor: string): string {
  return [
    'kind: Experiment',
    `name: ${name}`,
    'hypothesis: If two of three replicas fail most requests, then the 5xx ratio seen by Prometheus stays below 5 %.',
    'owner: team-checkout',
    'target: { adapter: process, selector: { service: checkout }, blastRadius: count:2 }',
    'fault: { type: http-error, parameters: { percent: 80 }, duration: 1m }',
    'guardrails:',
    '  - name: 5xx ratio (Prometheus)',
    `    signal: { source: prometheus, query: '${ERROR_RATIO}' }`,
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
    sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 40 });
    prom = await startPrometheus(binary!, dir, [new URL(sandbox.adminUrl).host]);
    mkdirSync(path.join(dir, 'playbooks'));
    writeFileSync(path.join(dir, 'playbooks', 'prom-breach.yaml'), playbook('prom-breach', '2s'));
    writeFileSync(path.join(dir, 'playbooks', 'prom-blind.yaml'), playbook('prom-blind', '30s'));
    const config = Config.parse({
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
    const { record } = await app.service.propose({ playbook: name, actor: { id: 'alice' } });
    await app.service.approve(record.id, { id: 'bob' });
    await app.service.start(record.id, { id: 'alice' });
    return record.id;
  }

  it('breaks when the 5xx ratio in Prometheus crosses the threshold for the window, and the abort reverts', async () => {
    const id = await run('prom-breach');
    await waitUntil('the fault', async () => (await activeFaults(sandbox.adminUrl)).some((f) => f.experimentId === id));
    await app.service.runner.settle();
    const r = app.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(r.abort?.reason).toContain('5xx ratio (Prometheus)');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
  }, 60_000);

  it('Prometheus stopped mid-run: the guardrail goes blind, the experiment aborts and reverts', async () => {
    await waitUntil('errors to leave the 5 s window', async () => Number((await prom.query(ERROR_RATIO))[0]?.value[1] ?? 1) < 0.01, 20_000);
    const id = await run('prom-blind');
    await waitUntil('observing', () => app.service.get(id).record.phase === 'observing', 10_000);
    await prom.stop();
    await app.service.runner.settle();
    const r = app.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_blind');
    expect(r.verdict).toBe('inconclusive');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
  }, 60_000);
});
