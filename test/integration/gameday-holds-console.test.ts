import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { activeFaults, ROOT, startHarness, statsRequests, waitForSteadySandbox, waitUntil, type Harness } from './harness.js';

/** Two short steps on the sandbox, in a channel of its own; alice commands, bob approves. */
const GAMEDAY = `
kind: GameDay
name: checkout-holds-gameday
title: Checkout, held between steps
channel: '#gameday-room'
roles: { commander: alice }
steps:
  - { playbook: checkout-latency, blastRadius: one, duration: 3s }
  - { playbook: checkout-latency, blastRadius: 'count:2', duration: 2s }
`;

describe('holds, refused steps, the channel and the report through the console on the real sandbox', () => {
  let h: Harness;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-gd-holds-'));
    writeFileSync(path.join(extra, 'holds-gameday.yaml'), GAMEDAY);
    h = await startHarness({ playbooks: { dirs: [path.join(ROOT, 'playbooks'), extra] } }, { statsWindowSeconds: 2 });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    rmSync(extra, { recursive: true, force: true });
  });

  const record = (id: string): GameDayRecord => h.app.engine.gamedays.get(id).record;
  const as = (user: string) => h.session.handle(`/as ${user}`);
  const steady = () => waitForSteadySandbox(h.sandbox.adminUrl);
  const waitState = (id: string, ok: (r: GameDayRecord) => boolean, what: string) => waitUntil(`${id} ${what}`, () => ok(record(id)), 60_000);
  const stepRuns = (id: string) => h.app.engine.experiments.list(50).filter((e) => e.record.gameDay?.id === id);

  it('a hold during step 1 holds at its checkpoint; a freeze refuses step 2 without a card; the report links both post-mortems', async () => {
    await as('alice');
    await h.session.handle('/chaos gameday start checkout-holds-gameday');
    const id = h.app.engine.gamedays.list(1)[0]!.record.id;
    // Typed in the console's #chaos, run where the file says.
    expect(record(id).channel).toBe('#gameday-room');
    await as('bob');
    await h.session.handle(`/chaos gameday approve ${id}`);
    await as('alice');
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    const step1 = record(id).steps[0]!.experimentId!;
    await waitUntil('the step-1 fault', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === step1), 20_000);

    await h.session.handle(`/chaos gameday hold ${id} waiting for the on-call to look`);
    expect(h.transcript.join('\n')).toContain(`${id} will hold after the running step`);
    await waitState(id, (r) => r.state !== 'running', 'to end step 1');
    expect(record(id)).toMatchObject({ state: 'held', next: 1 });
    expect(record(id).decisions.map((d) => `${d.beforeStep + 1}:${d.choice}:${d.by.id}:${d.reason}`)).toEqual(['1:continue:alice:null', '2:hold:alice:waiting for the on-call to look']);
    expect(stepRuns(id)).toHaveLength(1);

    await as('bob');
    const frozen = h.transcript.length;
    await h.session.handle('/chaos freeze add now +1h release train');
    const frz = /frz-[0-9a-f]+/.exec(h.transcript.slice(frozen).join('\n'))![0];
    await as('alice');
    const from = h.transcript.length;
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'held' && /could not start/.test(r.holdReason ?? ''), 'to hold on the freeze');
    await h.app.engine.gamedays.settle();
    await h.app.engine.notifier.flush();
    const said = h.transcript.slice(from).join('\n');
    expect(said).toMatch(/step 2\/2 .* could not start: chaos is frozen .*release train/);
    // No step card, no approval in bob's name, no cancelled run: step 2 was never proposed.
    expect(said.replace(new RegExp(step1, 'g'), '')).not.toMatch(/exp-[0-9a-f]+/);
    expect(said).not.toMatch(/approved by Bob/i);
    expect(stepRuns(id)).toHaveLength(1);

    await as('bob');
    await h.session.handle(`/chaos freeze remove ${frz}`);
    await as('alice');
    await steady();
    await h.session.handle(`/chaos gameday continue ${id}`);
    await waitState(id, (r) => r.state === 'completed', 'to complete');
    await h.app.engine.gamedays.settle();
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);

    const r = record(id);
    const report = readFileSync(r.reportPath, 'utf8');
    expect(report).toContain('waiting for the on-call to look');
    expect(report).not.toContain('(not written yet)');
    for (const s of r.steps) {
      const pm = h.app.engine.journal.of(s.experimentId!).find((e) => e.kind === 'postmortem')?.data as { path: string } | undefined;
      expect(pm && existsSync(pm.path), `step ${s.index + 1}'s post-mortem on disk`).toBe(true);
      expect(report).toContain(`](${path.basename(pm!.path)})`);
    }
  });
});
