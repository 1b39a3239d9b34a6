/**
 * Start-to-ready time and idle RSS of `npm start` (the console, with an already running sandbox so
 * only the bot is measured).
 */
import { execFileSync, spawn } from 'node:child_process';
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

interface Variant {
  label: string;
  cmd: string;
  args: string[];
  /** Picks the bot's own process among the children (npm runs it under a shell). */
  isBot: (argv: string[]) => boolean;
}

export async function benchStartup(log: (line: string) => void): Promise<void> {
  // Inside the project, so the build resolves node_modules as the image does.
  const built = mkdtempSync(path.join(ROOT, 'data', 'bench-build-'));
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', built], { cwd: ROOT, stdio: 'inherit' });
  const variants: Variant[] = [
    { label: 'npm start (TypeScript through tsx)', cmd: 'npm', args: ['start', '--silent'], isBot: (a) => /(^|\/)node$/.test(a[0] ?? '') && a.some((x) => x.endsWith('faultline.mjs')) },
    { label: 'node dist (compiled, as in the image)', cmd: process.execPath, args: [path.join(built, 'src', 'app', 'cli.js'), 'start'], isBot: () => true },
  ];
  try {
    for (const v of variants) await benchVariant(v, log);
  } finally {
    rmSync(built, { recursive: true, force: true });
  }
}

async function benchVariant(variant: Variant, log: (line: string) => void): Promise<void> {
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
      const child = spawn(variant.cmd, variant.args, { cwd: ROOT, env: { ...process.env, FAULTLINE_CONFIG: configFile }, stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (/^ready$/m.test(out)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`${variant.label} exited with ${code} before ready:\n${out}`)));
      });
      ready.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 3000));
      const bot = [child.pid!, ...childPids(child.pid!)].find((p) => variant.cmd !== 'npm' ? p === child.pid : variant.isBot(readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')));
      if (bot) rss.push(rssKiB(bot) / 1024);
      child.stdin!.end();
      await new Promise((r) => child.once('exit', r));
    }
    log(summary(`start-to-ready, ${variant.label}`, ready, 'ms'));
    log(summary(`idle RSS 3 s after ready, ${variant.label}`, rss, 'MiB'));
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
