import { spawn, type ChildProcess } from 'node:child_process';
import { extname, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AdapterLogger } from '../core/ports.js';
import { childExecArgv } from '../sandbox/supervisor.js';

export interface LaunchedSandbox {
  proxyUrl: string;
  adminUrl: string;
  /** True when this process started it (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Uses a sandbox already listening on the configured admin port, or starts one as a child
 * process (its own process, so a crash of the bot leaves the faults for reconcile to find).
 */
export async function ensureSandbox(opts: { host: string; proxyPort: number; adminPort: number; replicas: number; rps: number; statsWindow?: number; log: AdapterLogger }): Promise<LaunchedSandbox> {
  const adminUrl = `http://${opts.host}:${opts.adminPort}`;
  if (opts.adminPort !== 0 && (await reachable(adminUrl))) {
    return { proxyUrl: `http://${opts.host}:${opts.proxyPort}`, adminUrl, owned: false, stop: async () => {} };
  }
  const here = fileURLToPath(import.meta.url);
  const main = join(dirname(here), '..', 'sandbox', `main${extname(here)}`);
  const args = ['--host', opts.host, '--proxy-port', String(opts.proxyPort), '--admin-port', String(opts.adminPort), '--replicas', String(opts.replicas), '--rps', String(opts.rps), '--exit-on-stdin-close', '--log-level', 'warn'];
  if (opts.statsWindow !== undefined) args.push('--stats-window', String(Math.max(1, Math.round(opts.statsWindow / 1000))));
  const child: ChildProcess = spawn(process.execPath, [...childExecArgv(main), main, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<{ proxyUrl: string; adminUrl: string }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error('the sandbox did not report ready within 20 s')), 20_000);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; proxyUrl: string; adminUrl: string };
        if (msg.event === 'sandbox-ready') {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not our line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited with code ${code} before it was ready (is port ${opts.proxyPort} or ${opts.adminPort} taken?)`));
    });
  });
  opts.log.info({ ...ready, pid: child.pid }, 'sandbox started');
  let stopped: Promise<void> | undefined;
  return {
    ...ready,
    owned: true,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      })),
  };
}
