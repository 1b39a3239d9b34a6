import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'app', 'faultline.mjs');

describe('faultline sandbox', () => {
  it('prints its URLs, serves traffic and stats, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox', '--proxy-port', '0', '--admin-port', '0', '--rps', '5'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/stats\s+(http:\S+)\/stats/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const admin = /stats\s+(http:\S+)\/stats/.exec(out)?.[1];
    const traffic = /traffic\s+(http:\S+?)\/\s/.exec(out)?.[1];
    expect(admin, out).toBeDefined();
    expect(traffic, out).toBeDefined();
    expect((await fetch(`${traffic}/`)).status).toBe(200);
    const targets = (await (await fetch(`${admin}/targets`)).json()) as unknown[];
    expect(targets).toHaveLength(3);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await expect(fetch(`${admin}/healthz`)).rejects.toThrow();
  });
});
