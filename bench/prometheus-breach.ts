/**
 * Guardrails on the real Prometheus binary, with the default engine config:
 * - breach: the bench polls the guardrail's query itself every 50 ms to see when the breach first
 *   becomes visible, then times visible → revert started; goal ≤ one guardrail interval + 250 ms.
 * - hung: Prometheus is reached through a loopback proxy that, once the run is observing, accepts
 *   every request and never answers; hang switched on → revert started; goal ≤ blindAfter + the
 *   signal timeout.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp, playbookVars, type App } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { startSandbox } from '../src/sandbox/index.js';
import { prometheusBinary, startPrometheus } from '../test/integration/prometheus-harness.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_PROM_RUNS ?? 10);
const HUNG_RUNS = Number(process.env.BENCH_PROM_HUNG_RUNS ?? 5);
const ROOT = path.resolve(import.meta.dirname, '..');
const RATIO = '(sum(rate(sandbox_proxy_requests_total{code=~"5.."}[3s])) or vector(0)) / sum(rate(sandbox_proxy_requests_total[3s]))';

function playbook(name: string, percent: number, threshold: number): string {
  return [
    'kind: Experiment',
    `name: ${name}`,
    'hypothesis: If every replica fails requests, the 5xx ratio in Prometheus stays low.',
    'owner: bench',
    'target: { adapter: process, selector: { service: checkout }, blastRadius: all }',
    `fault: { type: http-error, parameters: { percent: ${percent} }, duration: 1m }`,
    'guardrails:',
    '  - name: 5xx ratio',
    `    signal: { source: prometheus, query: '${RATIO}' }`,
    '    comparison: ">"',
    `    threshold: ${threshold}`,
    '',
  ].join('\n');
}

interface HangingProxy {
  url: string;
  hang: boolean;
  release(): void;
  close(): Promise<void>;
}

/** Passes requests on to Prometheus; while `hang` is set it takes each request and never answers. */
function startHangingProxy(promUrl: string): Promise<HangingProxy> {
  const target = new URL(promUrl);
  const held = new Set<Socket>();
  const state: HangingProxy = { url: '', hang: false, release: () => {}, close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (state.hang) {
      held.add(req.socket);
      return;
    }
    const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  state.release = () => {
    for (const s of held) s.destroy();
    held.clear();
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      state.close = () => {
        state.release();
        server.closeAllConnections();
        return new Promise((r) => server.close(() => r()));
      };
      resolve(state);
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startRun(app: App, name: string): Promise<string> {
  const { record } = await app.engine.experiments.propose({ playbook: name, actor: { id: 'alice' } });
  await app.engine.experiments.approve(record.id, { id: 'bob' });
  await app.engine.experiments.start(record.id, { id: 'alice' });
  return record.id;
}

function revertStartedAt(app: App, id: string, run: number): number {
  const started = app.engine.journal.of(id).find((e) => e.kind === 'revert-started');
  if (!started) throw new Error(`run ${run}: no revert (${app.engine.experiments.get(id).record.state}: ${app.engine.experiments.get(id).record.abort?.reason ?? ''})`);
  return started.at;
}

export async function benchPrometheusBreach(log: (line: string) => void): Promise<void> {
  const binary = prometheusBinary();
  if (!binary) {
    log('prometheus breach → revert: skipped, no `prometheus` binary on PATH');
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-prom-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 60, statsWindowSeconds: 3 });
  const prom = await startPrometheus(binary, dir, [new URL(sandbox.adminUrl).host]);
  const proxy = await startHangingProxy(prom.url);
  mkdirSync(path.join(dir, 'playbooks'));
  writeFileSync(path.join(dir, 'playbooks', 'bench-prom.yaml'), playbook('bench-prom', 90, 0.05));
  // A fault that never trips the guardrail: only blindness ends the run early.
  writeFileSync(path.join(dir, 'playbooks', 'bench-prom-hung.yaml'), playbook('bench-prom-hung', 1, 2));
  const config = Config.parse({
    approvers: ['bob'],
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(dir, 'playbooks')] },
    caps: { maxPercent: 100 },
    sandbox: { autoStart: false },
    engine: { postcheckTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } }, signals: { prometheus: { url: proxy.url } } },
  });
  const engine = config.engine as typeof config.engine & { blindAfter?: number };
  const interval = engine.guardrailInterval;
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'silent' }), vars: playbookVars(config, sandbox), cwd: ROOT });
  const ratio = async () => Number((await prom.query(RATIO))[0]?.value[1] ?? 'NaN');
  const times: number[] = [];
  const hung: number[] = [];
  try {
    while (!Number.isFinite(await ratio())) await pause(250);
    for (let i = 0; i < RUNS; i++) {
      while ((await ratio()) > 0.01) await pause(250);
      const id = await startRun(app, 'bench-prom');
      let visibleAt = 0;
      while (!visibleAt) {
        if ((await ratio()) > 0.05) visibleAt = Date.now();
        else await pause(50);
      }
      await app.engine.runner.settle();
      times.push(Math.max(0, revertStartedAt(app, id, i) - visibleAt));
    }
    log(summary(`prometheus breach visible in a query → revert started (${RUNS} runs, default interval ${interval} ms; goal ≤ ${interval + 250} ms)`, times, 'ms'));
    for (let i = 0; i < HUNG_RUNS; i++) {
      while ((await ratio()) > 0.01) await pause(250);
      const id = await startRun(app, 'bench-prom-hung');
      while (app.engine.experiments.get(id).record.phase !== 'observing' && app.engine.experiments.get(id).record.state === 'running') await pause(20);
      await pause(Math.random() * interval);
      proxy.hang = true;
      const hungAt = Date.now();
      await app.engine.runner.settle();
      proxy.hang = false;
      proxy.release();
      hung.push(revertStartedAt(app, id, i) - hungAt);
    }
    const goal = engine.blindAfter !== undefined ? `; goal ≤ blindAfter ${engine.blindAfter} ms + signal timeout ${engine.signalTimeout} ms` : '';
    log(summary(`prometheus hangs (never answers) → blind abort, revert started (${HUNG_RUNS} runs, signal timeout ${engine.signalTimeout} ms${goal})`, hung, 'ms'));
  } finally {
    await app.shutdown('bench done');
    await proxy.close();
    await prom.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
