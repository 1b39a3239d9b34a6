import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import type { MessageRef } from '../../src/core/ports.js';
import { alice, bob, carol, engineFactory, mallory, waitFor, type Engine } from './engine-harness.js';

const dave: Actor = { id: 'dave', team: 'T1', name: 'Dave' };

const gameday = (name: string) => `
kind: GameDay
name: ${name}
title: ${name}
channel: '#gameday'
roles: { commander: carol, scribe: dave }
steps:
  - { playbook: web-latency, blastRadius: 'one', duration: 150ms }
`;

const engine = engineFactory({ gamedays: [gameday('first-gameday'), gameday('second-gameday')] });
const chaos = (e: Engine, line: string, actor: Actor, channel = '#gameday') => dispatch(line, { actor, channel, engine: e.engine.facade, log: e.log }, commandRegistry());
const notes = (e: Engine, id: string) => e.engine.gamedays.get(id).record.notes;

async function day(e: Engine, name: string, opts: { approve: boolean } = { approve: true }): Promise<{ id: string; card: MessageRef }> {
  const { record } = await e.engine.gamedays.propose({ name, actor: alice });
  if (opts.approve) await e.engine.gamedays.approve(record.id, bob);
  await waitFor(`${record.id}'s card`, () => e.engine.gamedays.get(record.id).card !== null);
  return { id: record.id, card: e.engine.gamedays.get(record.id).card! };
}

describe('note and conclude by thread (thread:<ts>): the day found by its card in the command\'s channel', () => {
  it('the card\'s ts finds its day, also with another day under way in the channel; the note is the same as by id', async () => {
    const e = engine();
    const first = await day(e, 'first-gameday');
    const second = await day(e, 'second-gameday');
    const reply = await chaos(e, `/chaos gameday note thread:${first.card.ts} “p99 doubled” (message by <@U0DAVE>)`, dave, first.card.channel);
    expect(reply.errorCode).toBeUndefined();
    expect(reply.title).toBe(`${first.id}: scribe note recorded before step 1`);
    expect(notes(e, first.id).map((n) => [n.kind, n.by.id, n.scribe, n.text])).toEqual([['note', 'dave', true, '“p99 doubled” (message by <@U0DAVE>)']]);
    expect(notes(e, second.id)).toEqual([]);
    expect(e.store.journal(first.id).filter((x) => x.kind === 'gameday-note')).toHaveLength(1);

    expect((await chaos(e, `/chaos gameday note thread:${second.card.ts} dashboards open`, carol, second.card.channel)).title).toBe(`${second.id}: note recorded before step 1`);
    // Before step 1 there is nothing to conclude, by thread as by id.
    expect((await chaos(e, `/chaos gameday conclude thread:${second.card.ts} too early`, carol, second.card.channel)).errorCode).toBe('illegal_transition');
    expect(notes(e, second.id).map((n) => [n.by.id, n.text])).toEqual([['carol', 'dashboards open']]);
  });

  it('a thread that is no card falls to the one day under way in the channel; with two, or none, it is gameday_not_found and nothing is written', async () => {
    const e = engine();
    // A proposed day has not begun: it is not "under way" and never taken by the fallback.
    const proposed = await day(e, 'second-gameday', { approve: false });
    const none = await chaos(e, '/chaos gameday note thread:1700000000.000999 hello', dave);
    expect(none.errorCode).toBe('gameday_not_found');
    expect(none.sections.join(' ')).toContain("not in a game day's thread");
    expect(none.sections.join(' ')).toContain('/chaos gameday note <gd-id> <text>');

    const first = await day(e, 'first-gameday');
    expect((await chaos(e, '/chaos gameday note thread:1700000000.000999 a reply in a step thread', dave)).title).toBe(`${first.id}: scribe note recorded before step 1`);
    expect(notes(e, first.id).map((n) => n.text)).toEqual(['a reply in a step thread']);

    await e.engine.gamedays.approve(proposed.id, bob);
    const two = await chaos(e, '/chaos gameday note thread:1700000000.000999 which one?', dave);
    expect(two.errorCode).toBe('gameday_not_found');
    expect(two.sections.join(' ')).toContain('2 game days are under way in this channel');
    expect(notes(e, first.id)).toHaveLength(1);
    expect(notes(e, proposed.id)).toEqual([]);
  });

  it('a card ts typed in another channel is not that card; roles still decide; a bad thread reference is a usage error', async () => {
    const e = engine();
    const first = await day(e, 'first-gameday');
    expect((await chaos(e, `/chaos gameday note thread:${first.card.ts} elsewhere`, dave, '#random')).errorCode).toBe('gameday_not_found');
    expect((await chaos(e, `/chaos gameday note thread:${first.card.ts} hello`, mallory, first.card.channel)).errorCode).toBe('gameday_role');
    expect(notes(e, first.id)).toEqual([]);
    const bad = await chaos(e, '/chaos gameday note thread:yesterday hi', dave);
    expect(bad.errorCode).toBe('command_usage');
    expect(bad.title).toContain('note|conclude <gd-id> <text>');
    expect((await chaos(e, `/chaos gameday note thread:${first.card.ts}`, dave, first.card.channel)).errorCode).toBe('command_usage');
  });
});
