import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { plainMentions } from '../../src/core/mention.js';
import { messageText } from '../fakes/recording-chat.js';
import { alice, bob, carol, engineFactory, mallory, waitFor, type Engine } from './engine-harness.js';

const dave: Actor = { id: 'dave', team: 'T1', name: 'Dave' };
const erin: Actor = { id: 'erin', team: 'T1', name: 'Erin' };

/** alice proposes, bob approves (alice, bob and carol are approvers), carol commands, dave writes, erin watches. */
const YAML = `
kind: GameDay
name: web-gameday
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol, scribe: dave, observers: [erin] }
commanderTimeout: 1m
steps:
  - { playbook: web-latency, blastRadius: 'one', duration: 150ms }
  - { playbook: web-latency, blastRadius: 'count:2', duration: 150ms }
`;

let offset = 0;
const engine = engineFactory({ gamedays: [YAML], clock: { now: () => Date.now() + offset } });
const chaos = (e: Engine, line: string, actor: Actor) => dispatch(line, { actor, channel: '#gameday', engine: e.engine.facade, log: e.log }, commandRegistry());
const gd = (e: Engine, id: string): GameDayRecord => e.engine.gamedays.get(id).record;
/** The day's journal without the audit of commands (a refusal's one line). */
const kinds = (e: Engine, id: string) => e.store.journal(id).map((x) => x.kind).filter((k) => k !== 'refused' && k !== 'command');
const threadText = async (e: Engine) => {
  await e.engine.notifier.flush();
  return e.chat.calls.map((c) => (c.msg ? plainMentions(messageText(c.msg)) : '')).join('\n');
};

async function approved(e: Engine): Promise<string> {
  const { record } = await e.engine.gamedays.propose({ name: 'web-gameday', actor: alice });
  await e.engine.gamedays.approve(record.id, bob);
  return record.id;
}

async function atCheckpoint(e: Engine, id: string): Promise<void> {
  await chaos(e, `/chaos gameday continue ${id}`, carol);
  await waitFor(`${id} to reach the checkpoint`, () => gd(e, id).state === 'checkpoint', 5000);
}

describe('notes, conclusions and action items from the thread', () => {
  it('anyone in the roles notes; the scribe is marked; each note is journaled under its step and told in the thread', async () => {
    const e = engine();
    const id = await approved(e);
    expect((await chaos(e, `/chaos gameday note ${id} dashboards open, baseline p99 180ms`, dave)).errorCode).toBeUndefined();
    await atCheckpoint(e, id);
    await chaos(e, `/chaos gameday note ${id} cache hit ratio dipped`, erin);
    await chaos(e, `/chaos gameday note ${id} pager stayed quiet`, bob);
    const notes = gd(e, id).notes;
    expect(notes.map((n) => [n.kind, n.by.id, n.step, n.scribe, n.text])).toEqual([
      ['note', 'dave', null, true, 'dashboards open, baseline p99 180ms'],
      ['note', 'erin', 0, false, 'cache hit ratio dipped'],
      ['note', 'bob', 0, false, 'pager stayed quiet'],
    ]);
    const journaled = e.store.journal(id).filter((x) => x.kind === 'gameday-note');
    expect(journaled.map((x) => [x.actor, x.data.step, x.data.scribe, x.data.text])).toEqual([
      ['dave', null, true, 'dashboards open, baseline p99 180ms'],
      ['erin', 0, false, 'cache hit ratio dipped'],
      ['bob', 0, false, 'pager stayed quiet'],
    ]);
    expect(await threadText(e)).toContain('note (scribe) by Dave (dave) on before step 1: dashboards open, baseline p99 180ms');
  });

  it('refuses someone in no role with gameday_role and changes nothing but the audit line', async () => {
    const e = engine();
    const id = await approved(e);
    const before = gd(e, id);
    const journalBefore = kinds(e, id).length;
    const rows = e.store.events().length;
    for (const line of [`/chaos gameday note ${id} hello`, `/chaos gameday conclude ${id} fine`, `/chaos gameday action ${id} mallory fix it`]) {
      expect((await chaos(e, line, mallory)).errorCode).toBe('gameday_role');
    }
    expect(gd(e, id)).toEqual(before);
    expect(kinds(e, id)).toHaveLength(journalBefore);
    expect(e.store.events().slice(rows).map((x) => [x.kind, x.actor, x.data.code])).toEqual(Array(3).fill(['refused', 'mallory', 'gameday_role']));
  });

  it('a conclusion belongs to the step that just ran, typed with conclude or with continue', async () => {
    const e = engine();
    const id = await approved(e);
    expect((await chaos(e, `/chaos gameday conclude ${id} too early`, carol)).errorCode).toBe('illegal_transition');
    await atCheckpoint(e, id);
    await chaos(e, `/chaos gameday conclude ${id} one replica slow is absorbed by the retry budget`, dave);
    // A refused Continue (not the commander) writes no conclusion either.
    expect((await chaos(e, `/chaos gameday continue ${id} the cache absorbed it`, bob)).errorCode).toBe('gameday_role');
    expect(gd(e, id).notes).toHaveLength(1);
    await chaos(e, `/chaos gameday continue ${id} the cache absorbed it`, carol);
    const r = gd(e, id);
    expect(r.state).toBe('running');
    expect(r.notes.map((n) => [n.kind, n.by.id, n.step, n.text])).toEqual([
      ['conclusion', 'dave', 0, 'one replica slow is absorbed by the retry budget'],
      ['conclusion', 'carol', 0, 'the cache absorbed it'],
    ]);
    expect(e.store.journal(id).filter((x) => x.kind === 'gameday-conclusion').map((x) => x.data.step)).toEqual([0, 0]);
    await waitFor(`${id} to complete`, () => gd(e, id).state === 'completed', 5000);
    // The last step can only be concluded after the day closed: the report is written again with it.
    await chaos(e, `/chaos gameday conclude ${id} two replicas too`, carol);
    await e.engine.gamedays.settle();
    expect(gd(e, id).notes.at(-1)).toMatchObject({ kind: 'conclusion', step: 1 });
    expect(readFileSync(gd(e, id).reportPath, 'utf8')).toContain('two replicas too');
  });

  it('action items have an owner (id or mention) and an optional due date; a bad date is a usage error', async () => {
    const e = engine();
    const id = await approved(e);
    await atCheckpoint(e, id);
    const reply = await chaos(e, `/chaos gameday action ${id} <@U0ERIN|erin> add a p99 alert on the cache due 2026-12-31`, dave);
    expect(reply.title).toBe(`${id}: action item #1 for U0ERIN, due 2026-12-31`);
    await chaos(e, `/chaos gameday action ${id} @bob write the runbook`, carol);
    expect((await chaos(e, `/chaos gameday action ${id} bob later due tomorrow`, carol)).errorCode).toBe('command_usage');
    expect((await chaos(e, `/chaos gameday action ${id} bob`, carol)).errorCode).toBe('command_usage');
    expect(gd(e, id).actions.map((a) => [a.number, a.owner, a.text, a.due, a.step, a.by.id])).toEqual([
      [1, 'U0ERIN', 'add a p99 alert on the cache', '2026-12-31', 0, 'dave'],
      [2, 'bob', 'write the runbook', null, 0, 'carol'],
    ]);
    expect(e.store.journal(id).filter((x) => x.kind === 'gameday-action').map((x) => [x.data.owner, x.data.due])).toEqual([
      ['U0ERIN', '2026-12-31'],
      ['bob', null],
    ]);
    expect(await threadText(e)).toContain('action item #1 for U0ERIN, due 2026-12-31: add a p99 alert on the cache');
  });
});

describe('handover', () => {
  it('the commander hands over; the new one decides, the old one no longer does; the role history keeps both', async () => {
    const e = engine();
    const id = await approved(e);
    const reply = await chaos(e, `/chaos gameday handover ${id} @dave`, carol);
    expect(reply.errorCode).toBeUndefined();
    const r = gd(e, id);
    expect(r.roles.commander).toBe('dave');
    expect(r.roleHistory).toMatchObject([{ role: 'commander', from: 'carol', to: 'dave', by: { id: 'carol' }, authority: 'commander', step: null }]);
    expect(e.store.journal(id).filter((x) => x.kind === 'gameday-handover').map((x) => [x.actor, x.data.from, x.data.to, x.data.authority])).toEqual([['carol', 'carol', 'dave', 'commander']]);
    expect((await chaos(e, `/chaos gameday continue ${id}`, carol)).errorCode).toBe('gameday_role');
    await chaos(e, `/chaos gameday continue ${id}`, dave);
    expect(gd(e, id).state).toBe('running');
    expect(await threadText(e)).toContain('commander handed over from carol to dave');
  });

  it('refuses an approver while the commander is still around, and accepts them once the commander is silent past commanderTimeout', async () => {
    offset = 0;
    const e = engine();
    try {
      const id = await approved(e);
      const before = gd(e, id);
      const refused = await chaos(e, `/chaos gameday handover ${id} bob`, bob);
      expect(refused.errorCode).toBe('gameday_role');
      expect(refused.sections.join(' ')).toContain('silent for 1m');
      expect((await chaos(e, `/chaos gameday handover ${id} dave`, erin)).errorCode).toBe('gameday_role');
      expect(gd(e, id)).toEqual(before);
      expect(kinds(e, id)).not.toContain('gameday-handover');

      offset = 2 * 60_000;
      // An observer is no approver: still refused after the timeout.
      expect((await chaos(e, `/chaos gameday handover ${id} erin`, erin)).errorCode).toBe('gameday_role');
      expect((await chaos(e, `/chaos gameday handover ${id} bob`, bob)).errorCode).toBeUndefined();
      const r = gd(e, id);
      expect(r.roles.commander).toBe('bob');
      expect(r.roleHistory).toMatchObject([{ from: 'carol', to: 'bob', by: { id: 'bob' }, authority: 'timeout' }]);
      expect(r.commanderSeenAt).toBeGreaterThanOrEqual(Date.now() + offset - 1000);
    } finally {
      offset = 0;
    }
  });

  it('refuses a hand-over to the commander themself, and on a closed day', async () => {
    const e = engine();
    const id = await approved(e);
    expect((await chaos(e, `/chaos gameday handover ${id} carol`, carol)).errorCode).toBe('command_usage');
    await chaos(e, `/chaos gameday abort ${id} not today`, carol);
    expect((await chaos(e, `/chaos gameday handover ${id} dave`, carol)).errorCode).toBe('illegal_transition');
    expect(gd(e, id).roleHistory).toEqual([]);
  });
});

describe('hold and abort at a checkpoint', () => {
  it('the reason typed is also the conclusion on the step that ran; an abort from outside the roles aborts without it', async () => {
    const e = engine();
    const id = await approved(e);
    await atCheckpoint(e, id);
    // A refused hold writes no conclusion.
    expect((await chaos(e, `/chaos gameday hold ${id} wait for the dashboards`, dave)).errorCode).toBe('gameday_role');
    expect(gd(e, id).notes).toEqual([]);
    await chaos(e, `/chaos gameday hold ${id} latency held but the dashboards lag`, carol);
    expect(gd(e, id).notes.map((n) => [n.kind, n.by.id, n.step, n.text])).toEqual([['conclusion', 'carol', 0, 'latency held but the dashboards lag']]);
    expect(gd(e, id).state).toBe('held');
    await chaos(e, `/chaos gameday abort ${id} not worth the risk`, mallory);
    const r = gd(e, id);
    expect(r.state).toBe('aborted');
    expect(r.notes).toHaveLength(1);
    expect(r.closedBy?.reason).toBe('not worth the risk');
  });

  it('an abort typed by someone in the roles concludes the step; one without a reason does not', async () => {
    const e = engine();
    const id = await approved(e);
    await atCheckpoint(e, id);
    await chaos(e, `/chaos gameday abort ${id} enough: the retry budget is spent`, erin);
    expect(gd(e, id).notes.map((n) => [n.kind, n.by.id, n.step, n.text])).toEqual([['conclusion', 'erin', 0, 'enough: the retry budget is spent']]);
    const other = engine();
    const id2 = await approved(other);
    await atCheckpoint(other, id2);
    await chaos(other, `/chaos gameday abort ${id2}`, carol);
    expect(gd(other, id2).notes).toEqual([]);
  });
});
