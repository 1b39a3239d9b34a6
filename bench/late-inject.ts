/**
 * A fault that lands after the engine's deadline: time from the landing to its revert. The real
 * process adapter talks to the real sandbox through a loopback proxy that holds each inject request
 * past the deadline before passing it on (a request stuck in a queue), and then either answers
 * (the answer late) or drops the answer (lost). The proxy sees the landing and the DELETE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp, playbookVars } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { startSandbox } from '../src/sandbox/index.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_LATE_RUNS ?? 10);
const ROOT = path.resolve(import.meta.dirname, '..');
const DEADLINE_MS = 300;
const HOLD_MS = 700;

interface Proxy {
  url: string;
  mode: 'late' | 'lost';
  landed: Map<string, number>;
  deleted: Map<string, number>;
  close(): Promise<void>;
}

function startProxy(adminUrl: string): Promise<Proxy> {
  const target = new URL(adminUrl);
  const landed = new Map<string, number>();
  const deleted = new Map<string, number>();
  const state: Proxy = { url: '', mode: 'late', landed, deleted, close: async () => {} };
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse | null, onAnswer: (status: number, text: string) => void) => {
    const out = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        onAnswer(answer.statusCode ?? 0, text);
        if (res && !res.destroyed) res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' }).end(text);
      });
    });
    out.end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && req.url === '/faults') {
        const { handleId } = JSON.parse(body.toString()) as { handleId: string };
        // Held past the engine's deadline, then applied whether or not the caller still listens.
        setTimeout(() => forward(req, body, state.mode === 'late' ? res : null, () => landed.set(handleId, performance.now())), HOLD_MS);
        return;
      }
      if (req.method === 'DELETE') deleted.set(req.url ?? '', performance.now());
      forward(req, body, res, () => {});
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address() as { port: number };
      state.url = `http://127.0.0.1:${addr.port}`;
      state.close = () => new Promise((r) => server.close(() => r()));
      resolve(state);
    });
  });
}

/**
 * The guardrail reads the error rate of the last second: right after a run of 100 % errors the next
 * run's pre-flight would see that run's errors and refuse. Each run starts once the sandbox is quiet.
 */
async function untilQuiet(adminUrl: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = (await (await fetch(`${adminUrl}/stats?window=1`)).json()) as { errorRate: number | null; requests: number };
    if (s.requests > 0 && (s.errorRate ?? 1) < 0.01) return;
    if (Date.now() > deadline) throw new Error(`the sandbox did not settle within ${timeoutMs} ms (error rate ${s.errorRate})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchLateInject(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-late-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 20 });
  const proxy = await startProxy(sandbox.adminUrl);
  const config = Config.parse({
    approvers: ['bob'],
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'bench', 'playbooks')] },
    templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
    caps: { maxPercent: 100 },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: '100ms', statusInterval: '10s', postcheckTimeout: '1s', signalTimeout: '1s', targetTimeout: `${DEADLINE_MS}ms` },
    adapters: { targets: { process: { adminUrl: proxy.url, requestTimeout: '5s' } } },
  });
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'silent' }), vars: playbookVars(config, sandbox), cwd: ROOT });
  const alice = { id: 'alice' };
  const bob = { id: 'bob' };
  const figures: Record<Proxy['mode'], number[]> = { late: [], lost: [] };
  try {
    for (const mode of ['late', 'lost'] as const) {
      proxy.mode = mode;
      for (let i = 0; i < RUNS; i++) {
        await untilQuiet(sandbox.adminUrl);
        const { record } = await app.engine.experiments.propose({ playbook: 'bench-abort', actor: alice });
        await app.engine.experiments.approve(record.id, bob);
        await app.engine.experiments.start(record.id, alice);
        await app.engine.runner.settle();
        const intent = app.engine.journal.of(record.id).find((e) => e.kind === 'inject-intent');
        // A start refused before its inject (the sandbox not steady yet) says so instead of crashing the bench.
        if (!intent) throw new Error(`${record.id}: no inject was attempted (state ${app.engine.experiments.get(record.id).record.state}); is the sandbox steady?`);
        const handleId = intent.data.handleId as string;
        const deadline = Date.now() + 10_000;
        for (;;) {
          const faults = (await (await fetch(`${sandbox.adminUrl}/faults`)).json()) as Array<{ handleId: string; id: string }>;
          const landedAt = proxy.landed.get(handleId);
          if (landedAt !== undefined && !faults.some((f) => f.handleId === handleId)) {
            const del = [...proxy.deleted.entries()].find(([, at]) => at >= landedAt);
            if (!del) throw new Error(`${record.id}: the fault is gone but no DELETE went through the proxy`);
            figures[mode].push(del[1] - landedAt);
            break;
          }
          if (Date.now() > deadline) throw new Error(`${record.id}: the late fault (${mode}) was not reverted within 10 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
        proxy.deleted.clear();
        await new Promise((r) => setTimeout(r, 1200));
      }
    }
    log(summary(`late inject, answer late (${HOLD_MS} ms past a ${DEADLINE_MS} ms deadline): fault landed → revert DELETE at the target`, figures.late, 'ms'));
    log(summary('late inject, answer lost: fault landed → revert DELETE at the target (found by the watch)', figures.lost, 'ms'));
  } finally {
    await app.shutdown('bench done');
    await proxy.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
