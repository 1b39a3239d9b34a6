/**
 * Start-to-ready time and idle RSS of `npm start` (the console, with an already running sandbox so
 * only the bot is measured).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSandbox } from '../src/sandbox/index.js';
import { summary } from './stats.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);

function childPids(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.flatMap((k) => [k, ...childPids(k)]);
  } catch {
    return [];
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export async function benchStartup(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-start-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 10 });
  const configFile = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      store: { path: path.join(dir, 'faultline.db') },
      playbooks: { dirs: [path.join(ROOT, 'playbooks')], vars: { sandboxAdmin: sandbox.adminUrl } },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    }),
  );
  const ready: number[] = [];
  const rss: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, FAULTLINE_CONFIG: configFile }, stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (/^ready$/m.test(out)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before ready:\n${out}`)));
      });
      ready.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 3000));
      const bot = childPids(child.pid!).find((p) => {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return /(^|\/)node$/.test(argv[0] ?? '') && argv.some((a) => a.endsWith('faultline.mjs'));
      });
      if (bot) rss.push(rssKiB(bot) / 1024);
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    }
    log(summary('start-to-ready of npm start (console, sandbox already up)', ready, 'ms'));
    log(summary('idle RSS of the bot process 3 s after ready', rss, 'MiB'));
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
