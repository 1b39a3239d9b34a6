import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { statsRequests, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';
import { shortcutTo, unique } from './slack-requests.js';

/** carol commands, dave writes, erin watches; bob, carol and alice approve (the harness); mallory is no one. */
const gameday = (name: string) => `
kind: GameDay
name: ${name}
title: Checkout latency, kept on the record
channel: "${CHANNEL}"
roles: { commander: U0CAROL, scribe: U0DAVE, observers: [U0ERIN] }
steps:
  - { playbook: checkout-latency, blastRadius: one, duration: 2s }
  - { playbook: checkout-latency, blastRadius: 'count:2', duration: 2s }
`;

describe('the game-day notebook in Slack: typed notes, conclusions, action items, hand-over, and "Add to game day"', () => {
  let h: SlackHarness;
  let extra: string;
  let id: string;
  let cardTs: string;

  const days = () => h.bot.app.engine.gamedays;
  const record = (gd: string): GameDayRecord => days().get(gd).record;
  /** The answer that went by the request's response_url (only the person who asked sees an ephemeral one). */
  const answerOf = async (req: { responseId: string }) => (await h.api.waitForResponse((r) => r.id === req.responseId, 10_000)).body;
  const threadText = async () => {
    await h.bot.app.engine.notifier.flush();
    return h.threadTexts(cardTs).join('\n');
  };
  const cardOf = (gd: string) => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`${gd} ·`));

  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-notebook-'));
    writeFileSync(path.join(extra, 'notebook-gameday.yaml'), gameday('notebook-gameday'));
    writeFileSync(path.join(extra, 'other-gameday.yaml'), gameday('other-gameday'));
    h = await startSlackHarness({}, {}, { extraPlaybookDirs: [extra] });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);

    // As in slack-gameday.test.ts: alice starts, bob approves, the commander runs step 1 to its checkpoint.
    await h.slash('gameday start notebook-gameday', 'U0ALICE');
    await waitUntil('the game day', () => days().list(1).length === 1);
    id = days().list(1)[0]!.record.id;
    await waitUntil('the game-day card', () => cardOf(id) !== undefined);
    cardTs = cardOf(id)!.ts;
    await h.click('gdapprove', id, 'U0BOB');
    await waitUntil('approved', () => record(id).state === 'approved');
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await h.click('gdcontinue', id, 'U0CAROL');
    await waitUntil('the first checkpoint', () => record(id).state === 'checkpoint', 60_000);
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    rmSync(extra, { recursive: true, force: true });
  });

  it('note, conclude and action as slash commands: answered to the writer alone, told in the thread, each under step 1', async () => {
    const note = await h.slash(`gameday note ${id} cache hit ratio dipped to 60 %`, 'U0DAVE');
    expect(note.status).toBe(200);
    const noted = await answerOf(note);
    expect(noted.response_type).toBe('ephemeral');
    expect(noted.text).toContain(`${id}: scribe note recorded on step 1`);

    const conclusion = await answerOf(await h.slash(`gameday conclude ${id} one slow pod is absorbed by the cache`, 'U0ERIN'));
    expect(conclusion).toMatchObject({ response_type: 'ephemeral' });
    expect(conclusion.text).toContain(`${id}: conclusion recorded on step 1`);

    const action = await answerOf(await h.slash(`gameday action ${id} <@U0DAVE|dave> alert on the hit ratio due 2026-12-31`, 'U0CAROL'));
    expect(action.text).toContain(`${id}: action item #1 for U0DAVE, due 2026-12-31`);

    const r = record(id);
    expect(r.notes.map((n) => [n.kind, n.by.id, n.step, n.scribe, n.text])).toEqual([
      ['note', 'U0DAVE', 0, true, 'cache hit ratio dipped to 60 %'],
      ['conclusion', 'U0ERIN', 0, false, 'one slow pod is absorbed by the cache'],
    ]);
    expect(r.actions.map((a) => [a.number, a.owner, a.text, a.due, a.step, a.by.id])).toEqual([[1, 'U0DAVE', 'alert on the hit ratio', '2026-12-31', 0, 'U0CAROL']]);
    const thread = await threadText();
    expect(thread).toContain('note (scribe) by');
    expect(thread).toContain('cache hit ratio dipped to 60 %');
    expect(thread).toContain('conclusion by');
    expect(thread).toContain('action item #1 for U0DAVE, due 2026-12-31: alert on the hit ratio');
  });

  it('someone in none of the roles is refused with gameday_role, and nothing is recorded', async () => {
    const before = record(id);
    for (const line of [`gameday note ${id} I was here`, `gameday conclude ${id} all fine`, `gameday action ${id} U0DAVE fix it`, `gameday handover ${id} U0MALLORY`]) {
      const answer = await answerOf(await h.slash(line, 'U0MALLORY'));
      expect(answer.response_type).toBe('ephemeral');
      expect(JSON.stringify(answer)).toContain('gameday_role');
    }
    const after = record(id);
    expect(after.notes).toEqual(before.notes);
    expect(after.actions).toEqual(before.actions);
    expect(after.roles).toEqual(before.roles);
    expect(await threadText()).not.toContain('I was here');
  });

  it('"Add to game day" on a reply in the thread: the message, quoted with its author, becomes a note; the clicker alone hears so', async () => {
    const reply = { ts: unique(), thread_ts: cardTs, user: 'U0DAVE', text: 'p99 went from 180ms to 640ms &amp; the "cache"\nhit ratio dipped' };
    const click = await shortcutTo(h.events, h.api, 'U0ERIN', reply);
    expect(click.status).toBe(200);
    const answer = await answerOf(click);
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(answer.text).toContain(`${id}: note recorded on step 1`);
    const quoted = '“p99 went from 180ms to 640ms & the ”cache” hit ratio dipped” (message by <@U0DAVE>)';
    expect(record(id).notes.at(-1)).toMatchObject({ kind: 'note', by: { id: 'U0ERIN', team: 'T0001' }, step: 0, text: quoted });
    expect(await threadText()).toContain('640ms &amp; the ”cache” hit ratio dipped');

    // A response_url that no longer answers: the answer goes by chat.postEphemeral, still to the clicker alone.
    await shortcutTo(h.events, h.api, 'U0ERIN', { ts: unique(), thread_ts: cardTs, user: 'U0DAVE', text: 'retries climbing' }, { responseUrl: 'http://127.0.0.1:9/gone' });
    const ephemeral = await h.api.waitFor((c) => c.method === 'chat.postEphemeral' && c.params.user === 'U0ERIN', 10_000);
    expect(ephemeral.params).toMatchObject({ channel: CHANNEL, user: 'U0ERIN' });
    expect(String(ephemeral.params.text)).toContain(`${id}: note recorded on step 1`);
    expect(record(id).notes.at(-1)?.text).toBe('“retries climbing” (message by <@U0DAVE>)');

    // The card itself (a message that starts the thread: no thread_ts) is the same day.
    await answerOf(await shortcutTo(h.events, h.api, 'U0CAROL', { ts: cardTs, user: 'UBOT', text: `${id} · the card` }));
    expect(record(id).notes.at(-1)?.text).toBe(`“${id} · the card” (message by <@UBOT>)`);
  });

  it('the shortcut by someone in none of the roles, or on a message without text, is refused to the clicker alone', async () => {
    const notes = record(id).notes.length;
    const outsider = await answerOf(await shortcutTo(h.events, h.api, 'U0MALLORY', { ts: unique(), thread_ts: cardTs, user: 'U0DAVE', text: 'still fine' }));
    expect(outsider.response_type).toBe('ephemeral');
    expect(JSON.stringify(outsider)).toContain('gameday_role');

    const fileOnly = await answerOf(await shortcutTo(h.events, h.api, 'U0DAVE', { ts: unique(), thread_ts: cardTs, user: 'U0DAVE', text: '', files: [{ id: 'F0001', name: 'grafana.png' }] }));
    expect(fileOnly.response_type).toBe('ephemeral');
    expect(JSON.stringify(fileOnly)).toContain('no text');
    expect(record(id).notes).toHaveLength(notes);
    // Nothing ran for the file: no audit line of a refused note beyond the outsider's.
    const refused = h.bot.app.store.events({ kinds: ['refused'] }).filter((e) => String(e.data.text ?? '').includes('thread:'));
    expect(refused.map((e) => e.actor)).toEqual(['U0MALLORY']);
  });

  it('the shortcut on a message outside any game day\'s thread, with two days under way in the channel, is refused with gameday_not_found', async () => {
    await h.slash('gameday start other-gameday', 'U0ALICE');
    await waitUntil('the second game day', () => days().list(2).length === 2);
    const other = days().list(2).find((g) => g.record.id !== id)!.record.id;
    await waitUntil('its card', () => cardOf(other) !== undefined);
    await h.click('gdapprove', other, 'U0BOB');
    await waitUntil('the second day approved', () => record(other).state === 'approved');

    const notes = record(id).notes.length;
    const loose = await answerOf(await shortcutTo(h.events, h.api, 'U0DAVE', { ts: unique(), user: 'U0DAVE', text: 'is this on?' }));
    expect(loose.response_type).toBe('ephemeral');
    const said = JSON.stringify(loose);
    expect(said).toContain('gameday_not_found');
    expect(said).toContain("not in a game day's thread");
    expect(said).toContain('/chaos gameday note &lt;gd-id&gt; &lt;text&gt;');
    expect(record(id).notes).toHaveLength(notes);
    expect(record(other).notes).toEqual([]);

    // A reply in the first day's thread still finds its day by the card, second day or not.
    await answerOf(await shortcutTo(h.events, h.api, 'U0DAVE', { ts: unique(), thread_ts: cardTs, user: 'U0ERIN', text: 'error rate flat' }));
    expect(record(id).notes.at(-1)?.text).toBe('“error rate flat” (message by <@U0ERIN>)');
    await h.slash(`gameday abort ${other} not today`, 'U0ALICE');
    await waitUntil('the second day cancelled', () => record(other).state !== 'approved');
  });

  it('handover as a slash command, then the report holds the notes, the shortcut\'s quote and the action item', async () => {
    const handover = await answerOf(await h.slash(`gameday handover ${id} <@U0BOB|bob>`, 'U0CAROL'));
    expect(handover.response_type).toBe('in_channel');
    expect(handover.text).toContain(`${id}: U0BOB is the commander now`);
    expect(record(id).roles.commander).toBe('U0BOB');
    expect(await threadText()).toMatch(/U0BOB/);
    // The old commander no longer decides; the new one does.
    expect(JSON.stringify(await answerOf(await h.slash(`gameday hold ${id} pause`, 'U0CAROL')))).toContain('gameday_role');

    await h.slash(`gameday abort ${id} enough for today`, 'U0BOB');
    await waitUntil('the abort', () => record(id).state === 'aborted', 10_000);
    await days().settle();
    await h.bot.app.engine.notifier.flush();
    await waitUntil('the report upload', () => h.api.uploadedFiles().some((f) => f.completed && f.threadTs === cardTs), 20_000);
    const report = readFileSync(record(id).reportPath, 'utf8');
    expect(report).toContain('cache hit ratio dipped to 60 %');
    expect(report).toContain('one slow pod is absorbed by the cache');
    expect(report).toContain('p99 went from 180ms to 640ms & the ”cache” hit ratio dipped” (message by <@U0DAVE>)');
    expect(report).toContain('alert on the hit ratio');
    expect(report).toContain('2026-12-31');
    expect(report).not.toContain('I was here');
  });
});
