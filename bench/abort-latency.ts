/**
 * Abort latency in the sandbox: from the guardrail breach being observed to the fault being cleared
 * at the proxy, and from a person's `/chaos abort` to the same. 30 runs each by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp, playbookVars } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { startSandbox } from '../src/sandbox/index.js';
import { summary } from './stats.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const ROOT = path.resolve(import.meta.dirname, '..');

async function faultsFor(adminUrl: string, id: string): Promise<number> {
  const list = (await (await fetch(`${adminUrl}/faults`)).json()) as Array<{ experimentId: string }>;
  return list.filter((f) => f.experimentId === id).length;
}

export async function benchAbortLatency(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 60 });
  const config = Config.parse({
    approvers: ['bob'],
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'bench', 'playbooks')] },
    templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
    caps: { maxPercent: 100 },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: '100ms', statusInterval: '10s', postcheckTimeout: '1s', signalTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
  });
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: createLogger({ level: 'silent' }), vars: playbookVars(config, sandbox), cwd: ROOT });
  const alice = { id: 'alice' };
  const bob = { id: 'bob' };
  const breachToCleared: number[] = [];
  const manualToCleared: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < RUNS * 2; i++) {
      const manual = i % 2 === 1;
      const { record } = await app.engine.experiments.propose({ playbook: 'bench-abort', actor: alice });
      await app.engine.experiments.approve(record.id, bob);
      await app.engine.experiments.start(record.id, alice);
      if (manual) {
        while ((await faultsFor(sandbox.adminUrl, record.id)) === 0) await new Promise((r) => setTimeout(r, 5));
        while (app.engine.experiments.get(record.id).record.phase !== 'observing') await new Promise((r) => setTimeout(r, 2));
        const t0 = performance.now();
        app.engine.experiments.abort(record.id, alice, 'bench');
        while ((await faultsFor(sandbox.adminUrl, record.id)) > 0) await new Promise((r) => setTimeout(r, 1));
        manualToCleared.push(performance.now() - t0);
      }
      await app.engine.runner.settle();
      if (!manual) {
        const events = app.engine.journal.of(record.id);
        const breach = events.find((e) => e.kind === 'breach');
        const reverted = events.find((e) => e.kind === 'reverted');
        if (!breach || !reverted) throw new Error(`run ${i}: no breach/revert in the journal`);
        breachToCleared.push(reverted.at - breach.at);
      }
      // Let the 1 s stats window forget this run's errors before the next one.
      await new Promise((r) => setTimeout(r, 1200));
      if (i % 10 === 9) log(`  … ${i + 1}/${RUNS * 2} runs`);
    }
    log(summary('abort latency, guardrail breach observed → fault cleared (journal times)', breachToCleared, 'ms'));
    log(summary('abort latency, /chaos abort → fault gone from the proxy (wall clock)', manualToCleared, 'ms'));
  } finally {
    await app.shutdown('bench done');
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
