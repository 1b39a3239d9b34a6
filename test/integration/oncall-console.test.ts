import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { activeFaults, ROOT, spawnBot, startBotFixture, waitForSteadySandbox, waitUntil, type BotFixture } from './harness.js';

/**
 * The on-call handshake at the console of a `faultline start` process pointed at the PagerDuty
 * stand-in: the on-call dora@example.com is the console user `dora` (the part of the email before
 * '@'); `/chaos start` waits for her, and `/as dora` + `/chaos oncall ack <id>` starts the run.
 */
describe('the console: /chaos start waits for the on-call, who acknowledges with /as <localpart>', () => {
  let pd: PagerDutyStandIn;
  let fx: BotFixture;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-oncall-console-'));
    const base = readFileSync(path.join(ROOT, 'playbooks', 'sandbox', 'checkout-latency.yaml'), 'utf8');
    writeFileSync(
      path.join(extra, 'oncall-latency.yaml'),
      `${base.replace(/^name: checkout-latency$/m, 'name: oncall-latency').replace(/^ {2}duration: 1m$/m, '  duration: 3s')}\nonCall: require\npagerduty: { services: [PWEBSVC] }\n`,
    );
    pd = await PagerDutyStandIn.start({ token: 'pd-token' });
    pd.oncalls.addUser({ id: 'PDORA01', name: 'Dora Oncall', email: 'dora@example.com' });
    pd.oncalls.addService({ id: 'PWEBSVC', name: 'Web checkout', escalationPolicyId: 'PEPWEB' });
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPWEB', userId: 'PDORA01' });
    fx = await startBotFixture(
      'faultline-oncall-console-',
      { engine: { guardrailInterval: '500ms', postcheckTimeout: '15s' }, pagerduty: { apiUrl: pd.url, eventsUrl: pd.url, pollInterval: '1h', autoFreeze: false } },
      { extraPlaybookDirs: [extra] },
    );
  });
  afterAll(async () => {
    await fx?.close();
    await pd?.close();
    if (extra) rmSync(extra, { recursive: true, force: true });
  });

  it('asks dora, refuses bob, and starts when dora acknowledges; the fault goes in and is reverted', async () => {
    const bot = spawnBot(fx.configFile, { PAGERDUTY_API_TOKEN: 'pd-token' });
    const out = bot.output;
    const fail = (err: Error) => {
      throw new Error(`${err.message}\n--- bot output ---\n${out()}`);
    };
    try {
      await waitUntil('ready', () => out().includes('ready')).catch(fail);
      bot.type('/as alice');
      bot.type('/chaos propose oncall-latency');
      await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(out())).catch(fail);
      const id = /Proposed (exp-[0-9a-f]+)/.exec(out())![1]!;
      bot.type('/as carol');
      bot.type(`/chaos approve ${id}`);
      await waitForSteadySandbox(fx.sandbox.adminUrl);
      bot.type('/as alice');
      bot.type(`/chaos start ${id}`);
      await waitUntil('the wait for the on-call', () => out().includes(`${id} waits for the on-call`)).catch(fail);
      await waitUntil('the ask', () => out().includes(`On-call acknowledgement needed: ${id}`)).catch(fail);
      expect(out()).toContain('Dora Oncall');
      expect(pd.requests.some((r) => r.path === '/oncalls' && r.authorization === 'Token token=pd-token')).toBe(true);
      expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);

      // bob was not asked.
      bot.type('/as bob');
      bot.type(`/chaos oncall ack ${id}`);
      await waitUntil("bob's refusal", () => out().includes('[oncall_not_asked]')).catch(fail);
      expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);

      await waitForSteadySandbox(fx.sandbox.adminUrl);
      bot.type('/as dora');
      bot.type(`/chaos oncall ack ${id}`);
      await waitUntil('the fault', async () => (await activeFaults(fx.sandbox.adminUrl)).some((f) => f.experimentId === id), 20_000).catch(fail);
      await waitUntil('the verdict', () => /completed, verdict: \w+/.test(out().slice(out().indexOf(`${id}: acknowledged`))), 60_000).catch(fail);
      await waitUntil('the fault reverted', async () => (await activeFaults(fx.sandbox.adminUrl)).length === 0, 20_000).catch(fail);
      expect(out()).toContain(`${id}: acknowledged for PWEBSVC`);
      expect(out()).toContain('On-call acknowledged by');
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
    }
    const store = openStore({ path: path.join(fx.dir, 'faultline.db') });
    try {
      const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output())![1]!;
      const record = (store.experiments.get(id)!.data as { record: { state: string; startedBy: { id: string } } }).record;
      expect(record.state).toBe('completed');
      expect(record.startedBy.id).toBe('alice');
      const kinds = store.journal(id).map((e) => e.kind);
      expect(kinds.indexOf('oncall-asked')).toBeGreaterThanOrEqual(0);
      expect(kinds.indexOf('oncall-acknowledged')).toBeGreaterThan(kinds.indexOf('oncall-asked'));
      expect(kinds.indexOf('inject-intent')).toBeGreaterThan(kinds.indexOf('oncall-acknowledged'));
      const ack = store.journal(id).find((e) => e.kind === 'oncall-acknowledged')!;
      expect(ack.actor).toBe('dora');
    } finally {
      store.close();
    }
  });
});
