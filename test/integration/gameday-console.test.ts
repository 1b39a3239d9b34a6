import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { activeFaults, ROOT, startHarness, statsRequests, waitForSteadySandbox, waitUntil, type Harness } from './harness.js';

/** The sandbox game day's shape with short steps, so the test runs in seconds: alice commands, bob approves. */
const GAMEDAY = `
kind: GameDay
name: checkout-quick-gameday
title: Checkout under growing latency (short steps)
roles: { commander: alice, scribe: carol }
steps:
  - { playbook: checkout-latency, blastRadius: one, duration: 2s }
  - { playbook: checkout-latency, blastRadius: 'count:2', duration: 3s }
  - { name: two replicas much slower, playbook: checkout-latency, blastRadius: 'count:2', duration: 2s }
`;

describe('a three-step game day through the console on the real sandbox', () => {
  let h: Harness;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-gd-'));
    writeFileSync(path.join(extra, 'quick-gameday.yaml'), GAMEDAY);
    h = await startHarness({ playbooks: { dirs: [path.join(ROOT, 'playbooks'), extra] } }, { statsWindowSeconds: 2 });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    rmSync(extra, { recursive: true, force: true });
  });

  const record = (id: string): GameDayRecord => h.app.engine.gamedays.get(id).record;
  const text = () => h.transcript.join('\n');
  const as = (user: string) => h.session.handle(`/as ${user}`);
  async function proposeAndApprove(): Promise<string> {
    await as('alice');
    await h.session.handle('/chaos gameday start checkout-quick-gameday');
    const id = h.app.engine.gamedays.list(1)[0]!.record.id;
    await as('bob');
    await h.session.handle(`/chaos gameday approve ${id}`);
    expect(record(id).state).toBe('approved');
    await as('alice');
    return id;
  }
  // Each step's pre-check needs the sandbox steady again after the previous step's fault.
  const steady = () => waitForSteadySandbox(h.sandbox.adminUrl);
  const waitState = (id: string, ok: (r: GameDayRecord) => boolean, what: string) => waitUntil(`${id} ${what}`, () => ok(record(id)), 100_000);

  // A timeout per test: three steps with their post-checks take minutes on a loaded machine (it guards against a hang).
  it('continue, hold then continue, to the end: every step held, nothing left injected, the report path printed', async () => {
    const id = await proposeAndApprove();
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'checkpoint', 'to reach checkpoint 2');
    // The checkpoint is said in the channel after the state changes, paced with the channel's other replies.
    await h.app.engine.notifier.flush();
    expect(text()).toContain('Checkpoint before step 2 of 3');

    await h.session.handle(`/chaos gameday hold ${id} checking the dashboards`);
    expect(record(id).state).toBe('held');
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'checkpoint' && r.next === 2, 'to reach checkpoint 3');
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'completed', 'to complete');

    const r = record(id);
    expect(r.steps.map((s) => `${s.state}/${s.verdict}`)).toEqual(['completed/held', 'completed/held', 'completed/held']);
    expect(r.decisions.map((d) => `${d.beforeStep + 1}:${d.choice}:${d.by.id}`)).toEqual(['1:continue:alice', '2:hold:alice', '2:continue:alice', '3:continue:alice']);
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    await h.app.engine.gamedays.settle();
    await h.app.engine.notifier.flush();
    expect(existsSync(r.reportPath)).toBe(true);
    expect(text()).toContain(r.reportPath);
    expect(readFileSync(r.reportPath, 'utf8')).toContain('checking the dashboards');
  }, 120_000);

  it('abort at step 2: the running fault is reverted in the sandbox and step 3 never runs', async () => {
    const id = await proposeAndApprove();
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'checkpoint', 'to finish step 1');
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.steps[1]!.experimentId !== null, 'to start step 2');
    const step2 = record(id).steps[1]!.experimentId!;
    await waitUntil('the step-2 fault in the sandbox', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === step2), 20_000);

    await as('bob');
    await h.session.handle(`/chaos gameday abort ${id} p99 looks wrong`);
    await h.app.engine.runner.settle();
    await h.app.engine.gamedays.settle();
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    const r = record(id);
    expect(r.state).toBe('aborted');
    expect(r.closedBy).toMatchObject({ by: { id: 'bob' }, reason: 'p99 looks wrong' });
    expect(r.steps.map((s) => s.state)).toEqual(['completed', 'aborted', null]);
    expect(h.app.engine.experiments.list(50).filter((e) => e.record.gameDay?.id === id)).toHaveLength(2);
    expect(existsSync(r.reportPath)).toBe(true);
  }, 120_000);
});
