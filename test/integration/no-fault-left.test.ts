import Database from 'better-sqlite3';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { activeFaults, ROOT, spawnBot, startBotFixture, waitUntil, type Bot, type BotFixture } from './harness.js';

/**
 * A real `faultline start` process against the real sandbox, broken at the worst moments: SIGKILLed
 * mid-fault with hostile files in its playbooks folder, a store that refuses a write mid-run, a
 * listener that throws. The sandbox's fault table is the witness.
 */
const PRELOAD = path.join(ROOT, 'test', 'fixtures', 'crash', 'fail-on-sigusr2.mjs');

describe('no fault outlives its experiment (real bot process)', () => {
  let fx: BotFixture;
  let hostile: string;

  beforeAll(async () => {
    fx = await startBotFixture('faultline-nofault-', { engine: { guardrailInterval: '500ms', postcheckTimeout: '5s', signalTimeout: '1s' }, log: { level: 'info' } });
    hostile = path.join(fx.dir, 'hostile');
    mkdirSync(hostile);
    writeFileSync(path.join(hostile, 'alias-bomb.yaml'), ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${i === 0 ? 'a' : 'bcdefgh'[i - 1]}`).join(',')}]`), 'kind: Experiment'].join('\n'));
    writeFileSync(path.join(hostile, 'self-anchor.yaml'), 'kind: Experiment\nname: &n [*n]\n');
    symlinkSync(path.join(fx.dir, 'nowhere.yaml'), path.join(hostile, 'dangling.yaml'));
    writeFileSync(path.join(hostile, 'huge.yaml'), `kind: Experiment\nname: huge\nvars:\n${'  k: v\n'.repeat(200_000)}`);
    const config = (await import('node:fs')).readFileSync(fx.configFile, 'utf8');
    writeFileSync(fx.configFile, config.replace(/dirs:\n(\s+)- (.+)\n/, (_m, indent: string, dir: string) => `dirs:\n${indent}- ${dir}\n${indent}- ${hostile}\n`));
  });
  afterAll(async () => fx?.close());

  async function startFault(bot: Bot): Promise<string> {
    // The steady state must hold again after the previous test's fault (the stats window still remembers it).
    await waitUntil('the steady state', async () => ((await (await fetch(`${fx.sandbox.adminUrl}/stats`)).json()) as { p99Ms: number }).p99Ms < 250, 60_000);
    await waitUntil('the bot to be ready', () => bot.output().includes('ready'));
    bot.type('/as alice');
    bot.type('/chaos propose checkout-latency duration=2m');
    await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(bot.output()));
    const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output())![1]!;
    bot.type('/as bob');
    bot.type(`/chaos approve ${id}`);
    bot.type('/as alice');
    bot.type(`/chaos start ${id}`);
    await waitUntil('the fault to be injected', async () => (await activeFaults(fx.sandbox.adminUrl)).some((f) => f.experimentId === id)).catch((err: Error) => {
      throw new Error(`${err.message}\n${bot.output()}`);
    });
    return id;
  }

  const record = (id: string) => {
    const store = openStore({ path: path.join(fx.dir, 'faultline.db') });
    try {
      return (store.experiments.get(id)!.data as { record: { state: string; abort: { code: string; reason: string } | null } }).record;
    } finally {
      store.close();
    }
  };

  it('SIGKILL mid-fault with hostile files beside the playbooks: the next start recovers first, skips the bad files and serves the good ones', async () => {
    const first = spawnBot(fx.configFile);
    const id = await startFault(first);
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await activeFaults(fx.sandbox.adminUrl)).map((f) => f.experimentId)).toContain(id);

    const second = spawnBot(fx.configFile);
    second.child.stdin!.end('/chaos list\n');
    expect(await second.exited, second.output()).toBe(0);
    const out = second.output();
    expect(out).toContain(`recovered after restart: ${id}`);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
    for (const file of ['alias-bomb.yaml', 'self-anchor.yaml', 'dangling.yaml', 'huge.yaml']) expect(out).toContain(`! playbook ${path.join(hostile, file)} skipped`);
    expect(out).toContain('checkout-latency');
    expect(out).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/); // no stack trace
    expect(record(id)).toMatchObject({ state: 'aborted', abort: { code: 'recovered' } });
  });

  it('a store write refused mid-run: the run aborts with code error, the fault is reverted, the bot keeps serving', async () => {
    const bot = spawnBot(fx.configFile);
    const id = await startFault(bot);
    await waitUntil('a guardrail reading', () => bot.output().includes('running / observing'));
    const db = new Database(path.join(fx.dir, 'faultline.db'));
    db.exec(`CREATE TRIGGER refuse_readings BEFORE INSERT ON events WHEN NEW.kind = 'reading' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    try {
      await waitUntil('the fault to be reverted', async () => (await activeFaults(fx.sandbox.adminUrl)).length === 0);
      await waitUntil('the abort in the thread', () => /aborted by .*internal error/.test(bot.output()));
    } finally {
      db.exec('DROP TRIGGER refuse_readings');
      db.close();
    }
    bot.child.stdin!.end(`/chaos status ${id}\n`);
    expect(await bot.exited, bot.output()).toBe(0);
    expect(record(id)).toMatchObject({ state: 'aborted', abort: { code: 'error' } });
  });

  for (const failure of ['throw', 'reject'] as const) {
    it(`a listener that ${failure === 'throw' ? 'throws' : 'leaves a rejection unhandled'}: every fault in flight is reverted before the process exits`, async () => {
      const bot = spawnBot(fx.configFile, { NODE_OPTIONS: `--import ${PRELOAD}`, FAULTLINE_TEST_FAILURE: failure });
      const id = await startFault(bot);
      bot.child.kill('SIGUSR2');
      expect(await bot.exited, bot.output()).toBe(70);
      expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
      // The next start settles the record the dying process could not.
      const next = spawnBot(fx.configFile);
      next.child.stdin!.end('/chaos list\n');
      expect(await next.exited, next.output()).toBe(0);
      expect(record(id).state).toBe('aborted');
    });
  }
});
