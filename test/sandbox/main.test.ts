import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { http, pidAlive, waitFor, type TargetRow } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/sandbox/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Running {
  child: ChildProcess;
  ready: { event: string; proxyUrl: string; adminUrl: string };
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function runMain(extra: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, '--proxy-port', '0', '--admin-port', '0', '--replicas', '2', '--rps', '10', ...extra], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const line = await waitFor('the ready line', async () => (out.includes('\n') ? out.split('\n')[0] : undefined), 15_000);
  return { child, ready: JSON.parse(line ?? '{}') as Running['ready'], stdout: () => out, stderr: () => err, exited };
}

async function replicaPids(adminUrl: string): Promise<number[]> {
  return (await http<TargetRow[]>(`${adminUrl}/targets`)).body.map((t) => t.pid ?? -1);
}

describe('sandbox main.ts as a process', () => {
  it('prints exactly one ready line and exits cleanly on SIGTERM, taking its replicas along', async () => {
    const run = await runMain();
    expect(run.ready).toEqual({ event: 'sandbox-ready', proxyUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), adminUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect((await http(`${run.ready.proxyUrl}/`)).status).toBe(200);
    const pids = await replicaPids(run.ready.adminUrl);
    expect(pids.every(pidAlive)).toBe(true);
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout().trim().split('\n')).toHaveLength(1);
    expect(run.stderr()).toContain('sandbox stopped');
    expect(pids.filter(pidAlive)).toEqual([]);
  }, 20_000);

  it('with --exit-on-stdin-close, stops when stdin closes', async () => {
    const run = await runMain(['--exit-on-stdin-close']);
    const pids = await replicaPids(run.ready.adminUrl);
    run.child.stdin?.end();
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(pids.filter(pidAlive)).toEqual([]);
  }, 20_000);

  it('leaves no orphans even when the sandbox itself is SIGKILLed', async () => {
    const run = await runMain();
    const pids = await replicaPids(run.ready.adminUrl);
    run.child.kill('SIGKILL');
    await run.exited;
    await waitFor('replicas to notice their parent is gone', async () => pids.every((p) => !pidAlive(p)), 5_000);
  }, 20_000);
});
