import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/index.js';
import { activeFaults, spawnBot as startBot, waitUntil, startBotFixture, type BotFixture } from './harness.js';

describe('crash recovery: the bot is SIGKILLed while a fault is active', () => {
  let fx: BotFixture;
  let dir: string;
  let sandbox: Sandbox;
  let configFile: string;

  beforeAll(async () => {
    fx = await startBotFixture('faultline-crash-', { engine: { guardrailInterval: '500ms', postcheckTimeout: '20s', signalTimeout: '1s' }, log: { level: 'info' } });
    ({ dir, sandbox, configFile } = fx);
  });
  afterAll(async () => fx?.close());

  it('reverts the fault at the next start, marks the experiment recovered, and leaves no gap in the journal', async () => {
    const first = startBot(configFile);
    await waitUntil('the first bot to be ready', () => first.output().includes('ready'));
    const { type } = first;
    type('/as alice');
    type('/chaos propose checkout-latency duration=2m');
    await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(first.output()));
    const id = /Proposed (exp-[0-9a-f]+)/.exec(first.output())![1]!;
    type('/as bob');
    type(`/chaos approve ${id}`);
    type('/as alice');
    type(`/chaos start ${id}`);
    await waitUntil('the fault to be injected', async () => (await activeFaults(sandbox.adminUrl)).some((f) => f.experimentId === id));
    await waitUntil('a guardrail reading', () => first.output().includes('running / observing'));

    first.child.kill('SIGKILL');
    await first.exited;
    // The bot is gone; the fault is still there (its expiry is two minutes away).
    expect((await activeFaults(sandbox.adminUrl)).map((f) => f.experimentId)).toContain(id);

    const second = startBot(configFile);
    second.child.stdin!.end(`/chaos status ${id}\n`);
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain(`recovered after restart: ${id}`);
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);

    const store = openStore({ path: path.join(dir, 'faultline.db') });
    try {
      const row = store.experiments.get(id)!;
      const record = (row.data as { record: { state: string; abort: { reason: string; code: string } } }).record;
      expect(record.state).toBe('aborted');
      expect(record.abort).toMatchObject({ reason: 'recovered after restart', code: 'recovered' });
      const journal = store.journal(id);
      const kinds = journal.map((e) => e.kind);
      const order = ['inject-intent', 'injected', 'reading', 'abort', 'revert-started', 'reverted', 'postcheck', 'verdict', 'postmortem'];
      let last = -1;
      for (const k of order) {
        const i = kinds.indexOf(k, last + 1);
        expect(i, `${k} after position ${last} in ${kinds.join(',')}`).toBeGreaterThan(last);
        last = i;
      }
      const verdict = store.verifyAudit();
      expect(verdict.ok).toBe(true);
      const all = store.events();
      all.forEach((e, i) => expect(e.seq).toBe(all[0]!.seq + i));
    } finally {
      store.close();
    }
  });

  it('reverts an orphan fault the journal never heard of (crash between the API call and the journal write)', async () => {
    const res = await fetch(`${sandbox.adminUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ experimentId: 'exp-0rphan', handleId: 'fh-orphan01', type: 'latency', targets: ['checkout-1'], params: { ms: 200 }, expiresAt: Date.now() + 120_000 }),
    });
    expect(res.status).toBe(201);
    const bot = startBot(configFile);
    bot.child.stdin!.end('/chaos list\n');
    expect(await bot.exited, bot.output()).toBe(0);
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);
    const store = openStore({ path: path.join(dir, 'faultline.db') });
    try {
      expect(store.journal('exp-0rphan').map((e) => e.kind)).toContain('reconcile-revert');
    } finally {
      store.close();
    }
  });

  it('a game day cut off mid-step: the step is reverted at the next start, the day is interrupted, nothing runs twice', async () => {
    const first = startBot(configFile);
    await waitUntil('the first bot to be ready', () => first.output().includes('ready'));
    const { type } = first;
    type('/as alice');
    type('/chaos gameday start checkout-latency-gameday');
    await waitUntil('the game day', () => /(gd-[0-9a-f]+) proposed/.test(first.output()));
    const id = /(gd-[0-9a-f]+) proposed/.exec(first.output())![1]!;
    type('/as bob');
    type(`/chaos gameday approve ${id}`);
    type('/as alice');
    type(`/chaos gameday continue ${id}`);
    await waitUntil('the step-1 fault', async () => (await activeFaults(sandbox.adminUrl)).length > 0, 30_000);
    const stepId = (await activeFaults(sandbox.adminUrl))[0]!.experimentId;

    first.child.kill('SIGKILL');
    await first.exited;
    expect((await activeFaults(sandbox.adminUrl)).map((f) => f.experimentId)).toEqual([stepId]);

    const second = startBot(configFile);
    second.child.stdin!.end(`/chaos gameday continue ${id}\n/chaos gameday status ${id}\n`);
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    expect(second.output()).toContain('the bot restarted during step 1');
    expect(await activeFaults(sandbox.adminUrl)).toEqual([]);

    const store = openStore({ path: path.join(dir, 'faultline.db') });
    try {
      const day = (store.gamedays.get(id)!.data as { record: { state: string; reportPath: string; steps: Array<{ state: string | null; experimentId: string | null }> } }).record;
      expect(day.state).toBe('interrupted');
      expect(day.steps.map((s) => s.state)).toEqual(['aborted', null, null]);
      expect(day.steps[0]!.experimentId).toBe(stepId);
      // The refused continue after the restart started nothing: one step experiment in all.
      const steps = store.experiments.list().filter((r) => (r.data as { record: { gameDay?: { id: string } } }).record.gameDay?.id === id);
      expect(steps.map((r) => r.id)).toEqual([stepId]);
      expect(store.events({ kinds: ['refused'] }).at(-1)?.data).toMatchObject({ code: 'illegal_transition' });
      expect(store.journal(id).map((e) => e.kind)).toContain('gameday-report');
      expect(store.verifyAudit().ok).toBe(true);
    } finally {
      store.close();
    }
  });
});
