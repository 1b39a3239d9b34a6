/**
 * Start-up and recovery of a real `faultline start` process that finds a fault left behind by a
 * previous run: time from spawn to the orphan fault gone from the sandbox (recovery) and to "ready"
 * (playbooks loaded, commands accepted), with the shipped playbooks, with a 256 KiB playbook beside
 * them, and with hostile files beside them (an alias bomb, a self-referencing anchor, a dangling
 * symlink, a file over the size limit).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSandbox } from '../src/sandbox/index.js';
import { summary } from './stats.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_RECOVERY_RUNS ?? 5);

/** A valid experiment of about `bytes`, most of it guardrails (the shape that grows in real playbooks). */
function bigPlaybook(bytes: number): string {
  const head = `kind: Experiment
name: big-checkout
hypothesis: If one checkout replica slows down, every watched endpoint stays healthy.
owner: bench
target: { adapter: process, selector: { service: checkout }, blastRadius: one }
fault: { type: latency, parameters: { ms: 100 }, duration: 30s }
guardrails:
`;
  const rows: string[] = [];
  let size = head.length;
  for (let i = 0; size < bytes; i++) {
    const row = `  - name: endpoint ${i} error rate\n    signal: { source: http, url: "\${sandboxAdmin}/stats", path: errorRate }\n    comparison: ">"\n    threshold: 0.5\n`;
    rows.push(row);
    size += row.length;
  }
  return head + rows.join('');
}

function writeHostile(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const levels = 'abcdefghij'.split('');
  writeFileSync(path.join(dir, 'alias-bomb.yaml'), levels.map((k, i) => (i === 0 ? `${k}: &${k} [lol,lol,lol,lol,lol,lol,lol,lol,lol]` : `${k}: &${k} [${Array(9).fill(`*${levels[i - 1]}`).join(',')}]`)).join('\n'));
  writeFileSync(path.join(dir, 'self-anchor.yaml'), 'kind: Experiment\nname: &n [*n]\n');
  symlinkSync(path.join(dir, 'missing.yaml'), path.join(dir, 'dangling.yaml'));
  writeFileSync(path.join(dir, 'huge.yaml'), `kind: Experiment\nname: huge\nx:\n${Array.from({ length: 120_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`);
}

async function plantOrphan(adminUrl: string, n: number): Promise<string> {
  const handleId = `fh-bench${String(n).padStart(4, '0')}`;
  const res = await fetch(`${adminUrl}/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experimentId: `exp-b${String(n).padStart(5, '0')}`, handleId, type: 'latency', targets: ['checkout-1'], params: { ms: 100 }, expiresAt: Date.now() + 120_000 }),
  });
  if (res.status !== 201) throw new Error(`planting an orphan fault answered ${res.status}`);
  return handleId;
}

async function orphanPresent(adminUrl: string, handleId: string): Promise<boolean> {
  const list = (await (await fetch(`${adminUrl}/faults`)).json()) as Array<{ handleId: string }>;
  return list.some((f) => f.handleId === handleId);
}

export async function benchStartupRecovery(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-recovery-'));
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 10 });
  const big = path.join(dir, 'big');
  mkdirSync(big);
  writeFileSync(path.join(big, 'big-checkout.yaml'), bigPlaybook(256 * 1024 - 1024));
  const hostile = path.join(dir, 'hostile');
  writeHostile(hostile);
  const variants = [
    { label: 'shipped playbooks', dirs: [path.join(ROOT, 'playbooks')] },
    { label: 'shipped + one 256 KiB playbook', dirs: [path.join(ROOT, 'playbooks'), big] },
    { label: 'shipped + hostile files', dirs: [path.join(ROOT, 'playbooks'), hostile] },
  ];
  let n = 0;
  try {
    for (const v of variants) {
      const recovered: number[] = [];
      const ready: number[] = [];
      let skipped = '';
      for (let run = 0; run < RUNS; run++) {
        const configFile = path.join(dir, `config-${n}.yaml`);
        writeFileSync(
          configFile,
          stringify({
            store: { path: path.join(dir, `bot-${n}.db`) },
            postmortems: { dir: path.join(dir, 'postmortems') },
            playbooks: { dirs: v.dirs, vars: { sandboxAdmin: sandbox.adminUrl, sandboxProxy: sandbox.proxyUrl } },
            adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
            sandbox: { autoStart: false },
          }),
        );
        const handleId = await plantOrphan(sandbox.adminUrl, n++);
        const t0 = performance.now();
        const child = spawn(process.execPath, [path.join(ROOT, 'src', 'app', 'faultline.mjs'), '--config', configFile, 'start'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SLACK_BOT_TOKEN: '' } });
        let out = '';
        let readyAt: number | undefined;
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (readyAt === undefined && out.includes('ready')) readyAt = performance.now();
        });
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        let recoveredAt: number | undefined;
        const deadline = Date.now() + 60_000;
        while (recoveredAt === undefined || readyAt === undefined) {
          if (recoveredAt === undefined && !(await orphanPresent(sandbox.adminUrl, handleId))) recoveredAt = performance.now();
          if (Date.now() > deadline) throw new Error(`${v.label}: no recovery or ready within 60 s:\n${out}`);
          await new Promise((r) => setTimeout(r, 5));
        }
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin.end();
        await exited;
        recovered.push(recoveredAt - t0);
        ready.push(readyAt - t0);
        skipped = String((out.match(/! playbook .* skipped/g) ?? []).length);
      }
      log(summary(`start-up, ${v.label}: spawn → orphan fault reverted`, recovered, 'ms'));
      log(summary(`start-up, ${v.label}: spawn → ready (${skipped} file(s) skipped)`, ready, 'ms'));
    }
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
