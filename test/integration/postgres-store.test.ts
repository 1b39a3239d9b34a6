import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { createDatabase, usePostgres, type PostgresServer } from '../support/postgres.js';
import { activeFaults, BIN, ROOT, spawnBot, startBotFixture, waitUntil, type BotFixture } from './harness.js';

/**
 * `faultline start` on a real PostgreSQL (DATABASE_URL), as an operator would run it: an experiment
 * through the console over a pipe, SIGKILL mid-fault, a restart that recovers from what PostgreSQL
 * holds, and `faultline audit verify` on the same database.
 */
describe('the bot on PostgreSQL', () => {
  let pg: PostgresServer;
  let fx: BotFixture;
  let url: string;
  beforeAll(async () => {
    pg = await usePostgres();
    // The password-free URL of a trust cluster; DATABASE_URL is how an operator would pass one with a password.
    url = createDatabase(pg, 'faultline').url;
    // A short lease: the second bot takes over from the SIGKILLed one once its lease has run out.
    fx = await startBotFixture('faultline-pg-', { engine: { guardrailInterval: '500ms', postcheckTimeout: '20s', signalTimeout: '1s' }, replicas: { leaseTtl: '3s', renewEvery: '1s' } });
  });
  afterAll(async () => {
    await fx?.close();
    await pg?.stop();
  });

  it('SIGKILL mid-fault: the next start recovers from PostgreSQL, reverts the fault, and the audit chain verifies', async () => {
    const env = { DATABASE_URL: url };
    const first = spawnBot(fx.configFile, env);
    await waitUntil('the bot to be ready', () => first.output().includes('ready'), 30_000);
    first.type('/as alice');
    first.type('/chaos propose checkout-latency duration=2m');
    await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(first.output()));
    const id = /Proposed (exp-[0-9a-f]+)/.exec(first.output())![1]!;
    first.type('/as bob');
    first.type(`/chaos approve ${id}`);
    first.type('/as alice');
    first.type(`/chaos start ${id}`);
    await waitUntil('the fault', async () => (await activeFaults(fx.sandbox.adminUrl)).some((f) => f.experimentId === id), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- bot output ---\n${first.output()}`);
    });
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await activeFaults(fx.sandbox.adminUrl)).map((f) => f.experimentId)).toContain(id);

    // No SQLite file was made: the whole state is in PostgreSQL.
    expect(existsSync(path.join(fx.dir, 'faultline.db'))).toBe(false);
    const second = spawnBot(fx.configFile, env);
    second.child.stdin!.end(`/chaos status ${id}\n`);
    expect(await second.exited, second.output()).toBe(0);
    expect(second.output()).toContain(`recovered after restart: ${id}`);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);

    const store = openStore({ url });
    try {
      const record = (store.experiments.get(id)!.data as { record: { state: string; abort: { code: string } } }).record;
      expect(record).toMatchObject({ state: 'aborted', abort: { code: 'recovered' } });
      // The SIGKILL can land between the fault going in and its `injected` line: the intent is what recovery needs.
      expect(store.journal(id).map((e) => e.kind)).toEqual(expect.arrayContaining(['inject-intent', 'abort', 'reverted']));
    } finally {
      store.close();
    }

    const verify = spawnSync(process.execPath, [BIN, '--config', fx.configFile, 'audit', 'verify'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`audit chain ok: \\d+ rows in ${url.replace(/\./g, '\\.')}`));
  });

  it('a DATABASE_URL that is not a postgres:// URL is refused naming the variable, without echoing it', () => {
    const r = spawnSync(process.execPath, [BIN, '--config', fx.configFile, 'audit', 'verify'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: 'mysql://root:hunter2@db/x' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('DATABASE_URL');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });
});
