import { describe, expect, it, vi } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import { alice, bob, carol, engineFactory, mallory, waitFor, type Engine } from './engine-harness.js';
import { scheduling } from './schedule-harness.js';
import { refusalText } from '../../src/core/refusal-text.js';

/** Alice's user id from another workspace of the same Enterprise Grid. */
const aliceElsewhere: Actor = { id: 'alice', team: 'T2', name: 'Alice' };
/** A member of the approver group, not in the configured list. */
const gina: Actor = { id: 'gina', team: 'T1', name: 'Gina' };
const cmdr: Actor = { id: 'cmdr', team: 'T1', name: 'Commander' };

const GAMEDAY = `
kind: GameDay
name: web-day
title: Web tier
channel: '#gameday'
roles: { commander: cmdr }
steps:
  - { playbook: web-latency, blastRadius: one, duration: 150ms }
`;

// Alice proposes and is no approver here; carol counts only from workspace T1; gina through the group.
const engine = engineFactory({
  settings: { approval: { approvers: ['bob', 'T1/carol'], ttlMs: 60_000 } },
  extraApprovers: { label: 'members of user group S0SRE', members: async () => ['gina'] },
  gamedays: [GAMEDAY],
});

const registry = commandRegistry();
const chaos = (e: Engine, line: string, actor: Actor) => dispatch(line, { actor, channel: '#chaos', engine: e.engine.facade, log: e.log }, registry);

/** Everything a refused command must leave alone. */
const snapshot = (e: Engine) => ({
  experiments: e.store.experiments.list().map((x) => `${x.id}:${x.state}:${x.updatedAt}`),
  gamedays: e.store.gamedays.list().map((x) => `${x.id}:${x.state}:${x.updatedAt}`),
  faults: e.target.faults.size,
  injects: e.target.injectCalls.length,
});

async function proposed(e: Engine): Promise<string> {
  return (await e.service.propose({ playbook: 'web-latency', actor: alice })).record.id;
}

async function approved(e: Engine): Promise<string> {
  const id = await proposed(e);
  await e.service.approve(id, bob);
  return id;
}

describe('who may do what, through dispatch: a refusal is coded, ephemeral, audited once, and changes nothing else', () => {
  it.each<[string, 'proposed' | 'approved', (id: string) => string, Actor, string, RegExp]>([
    ['the proposer approving from another workspace', 'proposed', (id) => `/chaos approve ${id}`, aliceElsewhere, 'approval_self', /alice proposed exp-.* and cannot approve it/],
    ['an approver pinned to T1 approving from T9', 'proposed', (id) => `/chaos approve ${id}`, { ...carol, team: 'T9' }, 'approval_not_approver', /approvers are: bob, T1\/carol, gina/],
    ['someone else starting', 'approved', (id) => `/chaos start ${id}`, mallory, 'not_permitted', /^only the proposer \(alice\) or an approver can start exp-[0-9a-f]+; approvers are: bob, T1\/carol, gina$/],
    ['someone else rejecting', 'proposed', (id) => `/chaos reject ${id} meh`, mallory, 'not_permitted', /^only an approver can reject exp-/],
    ['the proposer rejecting (that is cancel)', 'approved', (id) => `/chaos reject ${id}`, alice, 'not_permitted', /^only an approver can reject/],
    ['someone else cancelling', 'approved', (id) => `/chaos cancel ${id}`, mallory, 'not_permitted', /can cancel exp-.*; anyone can abort it once it runs$/],
    ['someone else aborting before the run (a cancel)', 'approved', (id) => `/chaos abort ${id}`, mallory, 'not_permitted', /only the proposer \(alice\) or an approver can cancel/],
    ['someone else aborting a proposal', 'proposed', (id) => `/chaos abort ${id}`, mallory, 'not_permitted', /can cancel/],
  ])('%s → %s', async (_what, state, line, actor, code, message) => {
    const e = engine();
    const id = state === 'proposed' ? await proposed(e) : await approved(e);
    await e.engine.notifier.flush();
    const before = snapshot(e);
    const rows = e.store.events().length;

    const reply = await chaos(e, line(id), actor);
    await e.engine.runner.settle();

    expect(reply.errorCode).toBe(code);
    expect(reply.ephemeral).toBe(true);
    // The error's own words first, then the rule and what to do, said to the person.
    expect(reply.sections[0]).toMatch(message);
    expect(reply.title).toBe(refusalText(code, line(id).split(' ')[1]!).title);
    expect(reply.sections.at(-1)).toMatch(/^What to do: /);
    const added = e.store.events().slice(rows);
    expect(added.map((r) => [r.kind, r.actor, r.data.code])).toEqual([['refused', actor.id, code]]);
    expect(snapshot(e)).toEqual(before);
    expect(e.service.get(id).record.state).toBe(state);
    expect(e.store.verifyAudit().ok).toBe(true);
  });

  it('the proposer starts (from any workspace) and cancels; an approver and a group member reject', async () => {
    const e = engine();
    const a = await approved(e);
    expect((await chaos(e, `/chaos start ${a}`, aliceElsewhere)).errorCode).toBeUndefined();
    expect(e.service.get(a).record.startedBy).toMatchObject({ id: 'alice', team: 'T2' });
    await e.waitForState(a, 'completed');

    const b = await approved(e);
    expect((await chaos(e, `/chaos cancel ${b} not today`, alice)).errorCode).toBeUndefined();
    expect(e.service.get(b).record).toMatchObject({ state: 'cancelled', closedBy: { by: { id: 'alice' }, reason: 'not today' } });

    const c = await proposed(e);
    expect((await chaos(e, `/chaos reject ${c} wrong week`, gina)).errorCode).toBeUndefined();
    expect(e.service.get(c).record.state).toBe('rejected');
    const d = await approved(e);
    expect((await chaos(e, `/chaos reject ${d}`, carol)).errorCode).toBeUndefined();
    expect(e.service.get(d).record.state).toBe('rejected');
  });

  it('an approver-group member starts and cancels, found by looking the group up even when not yet known', async () => {
    const e = engine();
    const id = await proposed(e); // nobody has approved yet: the group was never looked up
    expect((await chaos(e, `/chaos abort ${id} wrong day`, gina)).errorCode).toBeUndefined();
    expect(e.service.get(id).record.state).toBe('cancelled');
    const b = await approved(e);
    expect((await chaos(e, `/chaos start ${b}`, gina)).errorCode).toBeUndefined();
    await e.waitForState(b, 'completed');
  });

  it('anyone aborts a run at once, even while the approver group does not answer; a cancel waits for it two seconds at most', async () => {
    let hang = false;
    const e = engine({ extraApprovers: { label: 'members of user group S0SRE', members: () => (hang ? new Promise<string[]>(() => {}) : Promise.resolve(['gina'])) } });
    const run = await approved(e);
    await e.service.start(run, alice);
    await e.waitForPhase(run, 'observing');
    const waiting = await approved(e);
    hang = true;

    // The group lookup never answers: an abort that waited on it could not come back at all.
    const aborted = await chaos(e, `/chaos abort ${run} looks bad`, mallory);
    expect(aborted.errorCode).toBeUndefined();
    expect(e.service.get(run).record.abort).toMatchObject({ by: { id: 'mallory' }, code: 'manual' });
    await e.waitForState(run, 'aborted');
    expect(e.target.faults.size).toBe(0);

    // A cancel does look the group up, for at most its bounded wait (two seconds, on fake timers), then decides without it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let answered = false;
      const pending = chaos(e, `/chaos abort ${waiting}`, mallory).finally(() => (answered = true));
      await vi.advanceTimersByTimeAsync(1_999);
      expect(answered).toBe(false); // still waiting for the group
      await vi.advanceTimersByTimeAsync(1);
      const refused = await pending;
      expect(refused.errorCode).toBe('not_permitted');
    } finally {
      vi.useRealTimers();
    }
    expect(e.service.get(waiting).record.state).toBe('approved');
  });

  it('programmatic calls are held to the same rules (the core decides, not the command)', async () => {
    const e = engine();
    const id = await approved(e);
    await expect(e.service.start(id, mallory)).rejects.toMatchObject({ code: 'not_permitted' });
    expect(() => e.service.reject(id, mallory, 'x')).toThrow(expect.objectContaining({ code: 'not_permitted' }));
    expect(() => e.service.cancel(id, mallory, 'x')).toThrow(expect.objectContaining({ code: 'not_permitted' }));
    expect(() => e.service.abort(id, mallory, 'x')).toThrow(expect.objectContaining({ code: 'not_permitted' }));
    expect(e.service.get(id).record.state).toBe('approved');
    expect(e.target.injectCalls).toHaveLength(0);
  });
});

describe('game days', () => {
  const chaosGd = (e: Engine, line: string, actor: Actor) => dispatch(line, { actor, channel: '#gameday', engine: e.engine.facade, log: e.log }, registry);

  it('the proposer cannot approve from another workspace; someone else cannot reject or cancel; an approver can', async () => {
    const e = engine();
    const { record } = await e.engine.gamedays.propose({ name: 'web-day', actor: alice });
    expect((await chaosGd(e, `/chaos gameday approve ${record.id}`, aliceElsewhere)).errorCode).toBe('approval_self');
    expect((await chaosGd(e, `/chaos gameday reject ${record.id}`, mallory)).errorCode).toBe('not_permitted');
    expect((await chaosGd(e, `/chaos gameday abort ${record.id}`, mallory)).errorCode).toBe('not_permitted');
    expect(e.engine.gamedays.get(record.id).record.state).toBe('proposed');
    expect((await chaosGd(e, `/chaos gameday approve ${record.id}`, bob)).errorCode).toBeUndefined();
    // The commander (no approver) cancels the approved day before it runs.
    expect((await chaosGd(e, `/chaos gameday abort ${record.id} not today`, cmdr)).errorCode).toBeUndefined();
    expect(e.engine.gamedays.get(record.id).record.state).toBe('cancelled');
  });

  it('the commander, no approver and not the proposer, starts the steps; anyone aborts the running day', async () => {
    const e = engine();
    const { record } = await e.engine.gamedays.propose({ name: 'web-day', actor: alice });
    await e.engine.gamedays.approve(record.id, bob);
    expect((await chaosGd(e, `/chaos gameday continue ${record.id}`, mallory)).errorCode).toBe('gameday_role');
    expect((await chaosGd(e, `/chaos gameday continue ${record.id}`, cmdr)).errorCode).toBeUndefined();
    await waitFor('the step to run', () => e.service.list(10).some((x) => x.record.gameDay?.id === record.id && x.record.phase === 'observing'));
    const step = e.service.list(10).find((x) => x.record.gameDay?.id === record.id)!.record;
    expect(step.startedBy).toMatchObject({ id: 'cmdr' });
    expect((await chaosGd(e, `/chaos gameday abort ${record.id} enough`, mallory)).errorCode).toBeUndefined();
    await e.waitForState(step.id, 'aborted');
    expect(e.target.faults.size).toBe(0);
  });
});

describe('schedules', () => {
  it('the creator of a schedule cannot give it a standing approval from another workspace; an approver can', async () => {
    const s = scheduling(engine);
    const added = await s.chaos('/chaos schedule add web-latency "0 * * * *"', alice);
    const id = /sch-[0-9a-f]{6}/.exec(added.title ?? '')![0];
    const self = await s.chaos(`/chaos schedule approve ${id}`, aliceElsewhere);
    expect(self.errorCode).toBe('approval_self');
    expect(s.book.get(id).standing).toBeNull();
    expect((await s.chaos(`/chaos schedule approve ${id}`, bob)).errorCode).toBeUndefined();
    expect(s.book.get(id).standing).toMatchObject({ by: { id: 'bob' } });
  });
});
