import { describe, expect, it } from 'vitest';
import { SYSTEM, type Actor } from '../../src/core/actor.js';
import { FaultlineError, type ErrorCode } from '../../src/core/errors.js';
import { gameDayTransition } from '../../src/core/gameday-lifecycle.js';
import { GameDayRecord, stepNotRun } from '../../src/core/gameday-record.js';
import { transition } from '../../src/core/lifecycle.js';
import { checkPermitted, listApprovers, permits } from '../../src/core/permissions.js';
import { planHash } from '../../src/core/plan-hash.js';
import { grantStanding } from '../../src/core/schedule-standing.js';
import { Schedule } from '../../src/core/schedule.js';
import { alice, authority, bob, carol, makePlan, makeRecord, MIN, openLimits, T0 } from './fixtures.js';

/** Neither the proposer (alice) nor an approver (bob, carol). */
const dana: Actor = { id: 'U_DANA', team: 'T1', name: 'dana' };
/** Alice's user id, clicking from another workspace of the same Enterprise Grid. */
const aliceElsewhere: Actor = { id: alice.id, team: 'T2', name: 'alice' };

function refusal(fn: () => unknown): { code: ErrorCode; message: string; details: Record<string, unknown> } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof FaultlineError) return { code: err.code, message: err.message, details: err.details };
    throw err;
  }
  return undefined;
}

describe('who may start, reject and cancel (the pure rule)', () => {
  const exp = makeRecord('approved');
  it.each([
    ['start', alice, true],
    ['start', aliceElsewhere, true],
    ['start', bob, true],
    ['start', dana, false],
    ['reject', alice, false],
    ['reject', bob, true],
    ['reject', dana, false],
    ['cancel', alice, true],
    ['cancel', carol, true],
    ['cancel', dana, false],
  ] as const)('%s by %o: %s', (verb, actor, allowed) => {
    expect(permits(verb, exp, actor, authority)).toBe(allowed);
  });

  it('the bot itself may (a game day auto-continuing, a schedule); someone merely named "Faultline" may not', () => {
    for (const verb of ['start', 'reject', 'cancel'] as const) expect(permits(verb, exp, SYSTEM, authority)).toBe(true);
    expect(permits('start', exp, { id: 'faultline', team: 'T1' }, authority)).toBe(false);
    expect(permits('start', exp, { id: 'U_DANA', name: 'Faultline' }, authority)).toBe(false);
  });

  it('a TEAM/USER pin counts only from that workspace; a bare id from any', () => {
    const pinned = { approvers: ['T1/U_BOB', 'U_CAROL'] };
    expect(permits('reject', exp, bob, pinned)).toBe(true);
    expect(permits('reject', exp, { ...bob, team: 'T9' }, pinned)).toBe(false);
    expect(permits('reject', exp, { ...carol, team: 'T9' }, pinned)).toBe(true);
  });

  it('a game-day commander starts and cancels, but does not reject', () => {
    const withCommander = { approvers: [], commander: 'U_DANA' };
    expect(permits('start', exp, dana, withCommander)).toBe(true);
    expect(permits('cancel', exp, dana, withCommander)).toBe(true);
    expect(permits('reject', exp, dana, withCommander)).toBe(false);
  });

  it('refusals are coded not_permitted and name the rule and the approvers', () => {
    expect(refusal(() => checkPermitted('start', exp, dana, authority))).toEqual({
      code: 'not_permitted',
      message: 'only the proposer (U_ALICE) or an approver can start exp-1; approvers are: U_BOB, U_CAROL',
      details: { verb: 'start', subject: 'exp-1', actor: 'U_DANA', team: 'T1', rule: 'start: the proposer (U_ALICE) or an approver' },
    });
    expect(refusal(() => checkPermitted('reject', exp, alice, authority))?.message).toBe('only an approver can reject exp-1; approvers are: U_BOB, U_CAROL');
    expect(refusal(() => checkPermitted('cancel', exp, dana, { approvers: [], commander: 'U_ZED' }))?.message).toBe(
      'only the proposer (U_ALICE), the commander (U_ZED) or an approver can cancel exp-1; approvers are: (none configured); anyone can abort it once it runs',
    );
    expect(refusal(() => checkPermitted('start', exp, bob, authority))).toBeUndefined();
  });

  it('a long approver list is cut', () => {
    const many = Array.from({ length: 14 }, (_, i) => `U${i}`);
    expect(listApprovers(many)).toBe('U0, U1, U2, U3, U4, U5, U6, U7, U8, U9 … and 4 more');
  });
});

describe('the experiment state machine enforces it', () => {
  const start = (actor: Actor) => ({ type: 'start' as const, actor, currentPlanHash: makeRecord('approved').planHash, limits: openLimits, targetIds: ['checkout-1'], authority });

  it('start: another person is refused, the proposer (from any workspace) and an approver may', () => {
    const exp = makeRecord('approved');
    expect(refusal(() => transition(exp, start(dana), T0 + MIN))?.code).toBe('not_permitted');
    expect(transition(exp, start(aliceElsewhere), T0 + MIN).state).toMatchObject({ state: 'running', startedBy: aliceElsewhere });
    expect(transition(exp, start(carol), T0 + MIN).state.state).toBe('running');
  });

  it('start: who asks is checked before the approval (a bystander learns nothing about it)', () => {
    expect(refusal(() => transition(makeRecord('proposed'), start(dana), T0 + MIN))?.code).toBe('not_permitted');
    expect(refusal(() => transition(makeRecord('proposed'), start(alice), T0 + MIN))?.code).toBe('approval_missing');
    expect(refusal(() => transition(makeRecord('completed'), start(dana), T0 + MIN))?.code).toBe('illegal_transition');
  });

  it('reject: only an approver, not even the proposer', () => {
    for (const s of ['proposed', 'approved'] as const) {
      expect(refusal(() => transition(makeRecord(s), { type: 'reject', actor: dana, reason: 'no', authority }, T0))?.code).toBe('not_permitted');
      expect(refusal(() => transition(makeRecord(s), { type: 'reject', actor: alice, reason: 'no', authority }, T0))?.code).toBe('not_permitted');
      expect(transition(makeRecord(s), { type: 'reject', actor: bob, reason: 'no', authority }, T0).state.state).toBe('rejected');
    }
  });

  it('cancel: the proposer or an approver', () => {
    expect(refusal(() => transition(makeRecord('approved'), { type: 'cancel', actor: dana, reason: 'mine now', authority }, T0))?.code).toBe('not_permitted');
    expect(transition(makeRecord('approved'), { type: 'cancel', actor: aliceElsewhere, reason: 'later', authority }, T0).state.state).toBe('cancelled');
    expect(transition(makeRecord('proposed'), { type: 'cancel', actor: bob, reason: 'later', authority }, T0).state.state).toBe('cancelled');
  });

  it('abort before the run is a cancel: someone else is refused; without an authority only the proposer may', () => {
    const abort = (actor: Actor, withAuthority = true) => ({ type: 'abort' as const, actor, reason: 'stop', code: 'manual' as const, ...(withAuthority ? { authority } : {}) });
    expect(refusal(() => transition(makeRecord('approved'), abort(dana), T0))?.code).toBe('not_permitted');
    expect(refusal(() => transition(makeRecord('approved'), abort(bob, false), T0))?.code).toBe('not_permitted');
    expect(transition(makeRecord('approved'), abort(alice, false), T0).state.state).toBe('cancelled');
    expect(transition(makeRecord('proposed'), abort(carol), T0).state.state).toBe('cancelled');
    expect(transition(makeRecord('approved'), { type: 'abort', actor: SYSTEM, reason: 'incident', code: 'incident' }, T0).state.state).toBe('cancelled');
  });

  it.each(['prechecking', 'injecting', 'observing'] as const)('abort of a run (%s) is anyone\'s, with or without an authority', (phase) => {
    const { state } = transition(makeRecord('running', phase), { type: 'abort', actor: dana, reason: 'looks bad', code: 'manual' }, T0 + 4 * MIN);
    expect(state.abort).toMatchObject({ by: dana, reason: 'looks bad' });
  });
});

describe('game days follow the same rules', () => {
  const plan = makePlan();
  const gd = (state: GameDayRecord['state']): GameDayRecord =>
    GameDayRecord.parse({
      id: 'gd-1',
      name: 'checkout-day',
      title: 'Checkout day',
      channel: '#chaos',
      roles: { commander: 'U_CMDR', observers: [] },
      autoContinue: 'never',
      commanderTimeoutMs: 10 * MIN,
      steps: [stepNotRun({ index: 0, name: 'one', experiment: 'checkout-latency', hypothesis: 'h', plan, planHash: planHash(plan) })],
      planHash: 'h-all',
      proposedBy: alice,
      proposedAt: T0,
      approval: state === 'proposed' ? null : { by: bob, at: T0, planHash: 'h-all', expiresAt: T0 + 30 * MIN },
      state,
      next: 0,
      current: null,
      decisions: [],
      holdReason: null,
      holdRequested: false,
      pendingApproval: null,
      closedBy: null,
      startedAt: null,
      endedAt: null,
      updatedAt: T0,
      commanderSeenAt: T0,
      reportPath: '/tmp/r.md',
      notes: [],
      actions: [],
      roleHistory: [],
    });
  const policy = { approvers: authority.approvers, ttlMs: 30 * MIN };

  it('approve: the proposer is refused from any workspace', () => {
    expect(refusal(() => gameDayTransition(gd('proposed'), { type: 'approve', actor: aliceElsewhere, currentPlanHash: 'h-all', policy: { ...policy, approvers: [alice.id] } }, T0))?.code).toBe(
      'approval_self',
    );
  });

  it('reject: an approver only', () => {
    expect(refusal(() => gameDayTransition(gd('proposed'), { type: 'reject', actor: dana, reason: 'no', authority }, T0))?.code).toBe('not_permitted');
    expect(gameDayTransition(gd('proposed'), { type: 'reject', actor: bob, reason: 'no', authority }, T0).state.state).toBe('rejected');
  });

  it('abort before it runs is a cancel (proposer, commander, approver); a running day is anyone\'s to abort', () => {
    const abort = (actor: Actor) => ({ type: 'abort' as const, actor, reason: 'stop', authority });
    expect(refusal(() => gameDayTransition(gd('approved'), abort(dana), T0))?.code).toBe('not_permitted');
    for (const who of [aliceElsewhere, bob, { id: 'U_CMDR', team: 'T1' }]) expect(gameDayTransition(gd('approved'), abort(who), T0).state.state).toBe('cancelled');
    const running = { ...gd('approved'), state: 'running' as const, current: 0 };
    expect(gameDayTransition(running, abort(dana), T0).state.state).toBe('aborted');
  });
});

describe('standing approvals of schedules', () => {
  const schedule = Schedule.parse({
    id: 'sch-1a2b3c',
    targets: [{ kind: 'playbook', name: 'checkout-latency' }],
    selectors: [],
    cron: '0 3 * * *',
    timeZone: 'UTC',
    rotate: 'random',
    catchUp: false,
    channel: '#chaos',
    seed: 1,
    createdBy: alice,
    createdAt: T0,
    state: 'active',
    activeSince: T0,
    updatedAt: T0,
    turn: 0,
    standing: null,
  });
  const grant = (actor: Actor) => grantStanding(schedule, { actor, approvers: [alice.id, bob.id], defaultMs: MIN, maxMs: 10 * MIN, specHash: 's', now: T0 });

  it('its creator cannot grant one, from any workspace; an approver can', () => {
    expect(refusal(() => grant(aliceElsewhere))?.code).toBe('approval_self');
    expect(grant(bob)).toMatchObject({ by: bob, expiresAt: T0 + MIN });
  });
});
