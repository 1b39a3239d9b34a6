import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { activeFaults, statsRequests, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';

const GAMEDAY = `
kind: GameDay
name: slack-gameday
title: Checkout latency, Slack edition
channel: "${CHANNEL}"
roles: { commander: U0CAROL, observers: [U0DAVE] }
steps:
  - { playbook: checkout-latency, blastRadius: one, duration: 2s }
  - { playbook: checkout-latency, blastRadius: 'count:2', duration: 20s }
  - { playbook: checkout-latency, blastRadius: 'count:2', duration: 2s }
`;

describe('a game day in Slack: one card, buttons for approval and checkpoints, the report uploaded to the thread', () => {
  let h: SlackHarness;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-gd-'));
    writeFileSync(path.join(extra, 'slack-gameday.yaml'), GAMEDAY);
    h = await startSlackHarness({}, {}, { extraPlaybookDirs: [extra] });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    rmSync(extra, { recursive: true, force: true });
  });

  const days = () => h.bot.app.engine.gamedays;
  const record = (id: string): GameDayRecord => days().get(id).record;
  const refusalOf = async (click: { responseId: string }) => JSON.stringify((await h.api.waitForResponse((r) => r.id === click.responseId, 5000)).body);

  it('approve and checkpoint buttons: four eyes, commander only, anyone aborts; the report arrives as a file in the thread', async () => {
    expect((await h.slash('gameday start slack-gameday', 'U0ALICE')).status).toBe(200);
    await waitUntil('the game day', () => days().list(1).length === 1);
    const id = days().list(1)[0]!.record.id;
    const cardOf = () => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`${id} ·`));
    await waitUntil('the game-day card', () => cardOf() !== undefined);
    const card = cardOf()!;
    expect(JSON.stringify(card.blocks)).toContain('"action_id":"gdapprove"');
    expect(JSON.stringify(card.blocks)).toMatch(/1\. .*radius one: 1 of 3/);

    expect(await refusalOf(await h.click('gdapprove', id, 'U0ALICE'))).toContain('approval_self');
    await h.click('gdapprove', id, 'U0BOB');
    await waitUntil('approved', () => record(id).state === 'approved');
    expect(record(id).approval?.by).toMatchObject({ id: 'U0BOB', team: 'T0001' });

    expect(await refusalOf(await h.click('gdcontinue', id, 'U0BOB'))).toContain('gameday_role');
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await h.click('gdcontinue', id, 'U0CAROL');
    await waitUntil('the first checkpoint', () => record(id).state === 'checkpoint', 60_000);
    await h.bot.app.engine.notifier.flush();
    const checkpoint = h.api.messagesIn(CHANNEL).find((m) => m.thread_ts === card.ts && JSON.stringify(m.blocks ?? []).includes('Checkpoint before step 2 of 3'));
    expect(JSON.stringify(checkpoint?.blocks)).toContain('"action_id":"gdcontinue"');

    await waitForSteadySandbox(h.sandbox.adminUrl); // step 1's fault must leave the stats window, or step 2's pre-check fails
    await h.click('gdcontinue', id, 'U0CAROL');
    await waitUntil('step 2 to inject', async () => {
      const step2 = record(id).steps[1]!.experimentId;
      return !!step2 && (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === step2);
    }, 30_000);
    const abort = await h.click('gdabort', id, 'U0DAVE');
    expect(abort.status).toBe(200);
    await waitUntil('the abort', () => record(id).state === 'aborted', 10_000);
    await h.bot.app.engine.runner.settle();
    await days().settle();
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    expect(record(id).steps.map((s) => s.state)).toEqual(['completed', 'aborted', null]);
    expect(record(id).closedBy?.by.id).toBe('U0DAVE');

    await h.bot.app.engine.notifier.flush();
    await waitUntil('the report upload', () => h.api.uploadedFiles().some((f) => f.completed && f.threadTs === card.ts));
    const file = h.api.uploadedFiles().find((f) => f.threadTs === card.ts)!;
    expect(file.filename).toBe(`${id}-gameday-report.md`);
    expect(file.bytes?.toString('utf8')).toContain('aborted');
    const final = h.api.message(CHANNEL, card.ts)!;
    expect(JSON.stringify(final.blocks)).not.toContain('gdcontinue');
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/faultline_gamedays\{state="aborted",app="faultline"\} 1/);
  });
});
