/**
 * Prometheus breach visible in a query → revert started. The bench polls the same query itself
 * every 50 ms to see when the breach first becomes visible; goal: ≤ one guardrail interval + 250 ms.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp, playbookVars } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { startSandbox } from '../src/sandbox/index.js';
import { prometheusBinary, startPrometheus } from '../test/integration/prometheus-harness.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_PROM_RUNS ?? 10);
const INTERVAL_MS = 1000;
const ROOT = path.resolve(import.meta.dirname, '..');
const RATIO = '(sum(rate(sandbox_proxy_requests_total{code=~"5.."}[3s])) or vector(0)) / sum(rate(sandbox_proxy_requests_total[3s]))';

export async function benchPrometheusBreach(log: (line: string) => void): Promise<void> {
  const binary = prometheusBinary();
  if (!binary) {
    log('prometheus breach → revert: skipped, no `prometheus` binary on PATH');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-prom-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 60, statsWindowSeconds: 3 });
  const prom = await startPrometheus(binary, dir, [new URL(sandbox.adminUrl).host]);
  mkdirSync(path.join(dir, 'playbooks'));
  writeFileSync(
    path.join(dir, 'playbooks', 'bench-prom.yaml'),
    [
      'kind: Experiment',
      'name: bench-prom',
      'hypothesis: If every replica fails most requests, the 5xx ratio in Prometheus stays low (it will not).',
      'owner: bench',
      'target: { adapter: process, selector: { service: checkout }, blastRadius: all }',
      'fault: { type: http-error, parameters: { percent: 90 }, duration: 1m }',
      'guardrails:',
      '  - name: 5xx ratio',
      `    signal: { source: prometheus, query: '${RATIO}' }`,
      '    comparison: ">"',
      '    threshold: 0.05',
      '',
    ].join('\n'),
  );
  const config = Config.parse({
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(dir, 'playbooks')] },
    caps: { maxPercent: 100 },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: `${INTERVAL_MS}ms`, signalTimeout: '1s', postcheckTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } }, signals: { prometheus: { url: prom.url } } },
  });
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'silent' }), vars: playbookVars(config, sandbox), cwd: ROOT });
  const ratio = async () => Number((await prom.query(RATIO))[0]?.value[1] ?? 'NaN');
  const times: number[] = [];
  try {
    while (!(Number.isFinite(await ratio()))) await new Promise((r) => setTimeout(r, 250));
    for (let i = 0; i < RUNS; i++) {
      while ((await ratio()) > 0.01) await new Promise((r) => setTimeout(r, 250));
      const { record } = await app.service.propose({ playbook: 'bench-prom', actor: { id: 'alice' } });
      await app.service.approve(record.id, { id: 'bob' });
      await app.service.start(record.id, { id: 'alice' });
      let visibleAt = 0;
      while (!visibleAt) {
        if ((await ratio()) > 0.05) visibleAt = Date.now();
        else await new Promise((r) => setTimeout(r, 50));
      }
      await app.service.runner.settle();
      const started = app.service.journal.of(record.id).find((e) => e.kind === 'revert-started');
      if (!started) throw new Error(`run ${i}: no revert`);
      times.push(Math.max(0, started.at - visibleAt));
    }
    log(summary(`prometheus breach visible in a query → revert started (${RUNS} runs, interval ${INTERVAL_MS} ms; goal ≤ ${INTERVAL_MS + 250} ms)`, times, 'ms'));
  } finally {
    await app.shutdown('bench done');
    await prom.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
