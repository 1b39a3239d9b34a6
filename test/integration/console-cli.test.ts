import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/index.js';
import { activeFaults, BIN, ROOT, spawnBot, waitForSteadySandbox, waitUntil, startBotFixture, type BotFixture } from './harness.js';

/** Processes (other than this one) whose environment carries the marker. */
function processesMarked(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) found.push(Number(entry));
    } catch {
      // gone or not ours
    }
  }
  return found;
}

describe('the console through `faultline start`', () => {
  let fx: BotFixture;
  let dir: string;
  let sandbox: Sandbox;
  let configFile: string;

  beforeAll(async () => {
    fx = await startBotFixture('faultline-console-', { engine: { guardrailInterval: '500ms', postcheckTimeout: '15s' } });
    ({ dir, sandbox, configFile } = fx);
  });
  afterAll(async () => fx?.close());

  it('reads one command per line from a pipe, answers each, and exits 0 at the end of input', () => {
    const script = ['/as alice', '/chaos list', '/chaos help', '/chaos frobnicate', '/as', 'hello', '/as bob', '/chaos status'].join('\n');
    const r = spawnSync(process.execPath, [BIN, '--config', configFile, 'start'], { cwd: ROOT, input: `${script}\n`, encoding: 'utf8', timeout: 60_000, env: { ...process.env, SLACK_BOT_TOKEN: '' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('alice> /chaos list');
    expect(r.stdout).toMatch(/Playbooks: (aws-[a-z-]+, )*checkout-errors, checkout-latency, checkout-prometheus, checkout-replica-kill/);
    expect(r.stdout).toContain('/chaos propose <playbook>');
    expect(r.stdout).toContain('Unknown command "frobnicate" [command_unknown]');
    expect(r.stdout).toContain('usage: /as <user>');
    expect(r.stdout).toContain('commands start with /chaos');
    expect(r.stdout).toContain('bob> /chaos status');
    expect(r.stdout).toContain('Chaos is enabled');
    expect(r.stdout).not.toMatch(/\n\s+at .*:\d+:\d+/);
  });

  it('on SIGTERM aborts the running experiment, reverts its fault, then exits', async () => {
    const bot = spawnBot(configFile);
    const { child, exited, type } = bot;
    await waitUntil('ready', () => bot.output().includes('ready'));
    type('/as alice');
    type('/chaos propose checkout-latency duration=2m');
    await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(bot.output()));
    const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output())![1]!;
    type('/as carol');
    type(`/chaos approve ${id}`);
    // The start's steady-state check reads the sandbox: the first test's traffic must have settled.
    await waitForSteadySandbox(sandbox.adminUrl);
    type(`/chaos start ${id}`);
    await waitUntil('the fault', async () => (await activeFaults(sandbox.adminUrl)).some((f) => f.experimentId === id)).catch((err: Error) => {
      throw new Error(`${err.message}\n--- bot output ---\n${bot.output()}`);
    });
    child.kill('SIGTERM');
    expect(await exited, bot.output()).toBe(143);
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
    const store = openStore({ path: path.join(dir, 'faultline.db') });
    try {
      const record = (store.experiments.get(id)!.data as { record: { state: string; abort: { code: string } } }).record;
      expect(record.state).toBe('aborted');
      expect(record.abort.code).toBe('shutdown');
      expect(store.journal(id).map((e) => e.kind)).toContain('reverted');
    } finally {
      store.close();
    }
  });
});

describe('npm run demo', () => {
  it('runs a whole experiment to its verdict, exits 0 on its own, prints the post-mortem path and leaves no process behind', async () => {
    const marker = `FAULTLINE_DEMO_TEST=${process.pid}-${Date.now()}`;
    const [k, v] = marker.split('=') as [string, string];
    const r = spawnSync('npm', ['run', 'demo', '--silent'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, [k]: v } });
    // It ended by itself (not killed by the spawn's timeout) and with success.
    expect(r.error, r.stdout + r.stderr).toBeUndefined();
    expect(r.signal, r.stdout + r.stderr).toBeNull();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[approval_self]');
    expect(r.stdout).toMatch(/Result: aborted, verdict refuted; aborted by faultline: guardrail breached/);
    expect(r.stdout).toMatch(/Post-mortem draft: data\/postmortems\/exp-[0-9a-f]+\.md/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(processesMarked(marker)).toEqual([]);
  });
});
