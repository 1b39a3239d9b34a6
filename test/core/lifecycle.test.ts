import { describe, expect, it } from 'vitest';
import { actorLabel, SYSTEM } from '../../src/core/actor.js';
import { FaultlineError, type ErrorCode } from '../../src/core/errors.js';
import type { AbortInfo, ExperimentRecord } from '../../src/core/experiment.js';
import { decideVerdict, transition, type LifecycleEvent } from '../../src/core/lifecycle.js';
import { alice, authority, bob, carol, deepFreeze, makePlan, makeRecord, MIN, openLimits, policy, T0 } from './fixtures.js';

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof FaultlineError) return err.code;
    throw err;
  }
  return undefined;
}

const startEvent = (exp: ExperimentRecord, over: Partial<Extract<LifecycleEvent, { type: 'start' }>> = {}): LifecycleEvent => ({
  type: 'start',
  actor: carol,
  currentPlanHash: exp.planHash,
  limits: openLimits,
  targetIds: ['checkout-1'],
  authority,
  ...over,
});

const abortEvent = (reason = 'stop', code: AbortInfo['code'] = 'manual', actor = carol): LifecycleEvent => ({ type: 'abort', actor, reason, code, authority });

/** Drives a record through a list of events, returning the final result. */
function run(exp: ExperimentRecord, steps: Array<[LifecycleEvent, number]>) {
  let state = exp;
  let effects: ReturnType<typeof transition>['effects'] = [];
  for (const [event, at] of steps) ({ state, effects } = transition(state, event, at));
  return { state, effects };
}

describe('approve', () => {
  it('moves to approved and binds the approval to the plan hash with expiresAt = now + ttl', () => {
    const exp = makeRecord('proposed');
    const now = T0 + 7 * MIN;
    const { state, effects } = transition(exp, { type: 'approve', actor: bob, currentPlanHash: exp.planHash, policy }, now);
    expect(state.state).toBe('approved');
    expect(state.approval).toEqual({ by: bob, at: now, planHash: exp.planHash, expiresAt: now + policy.ttlMs });
    expect(effects).toEqual([{ type: 'notify', tone: 'success', text: expect.stringContaining('U_BOB') }]);
  });

  it('refuses self-approval, even when the proposer is an approver', () => {
    const exp = makeRecord('proposed');
    const p = { ...policy, approvers: [alice.id, bob.id] };
    expect(codeOf(() => transition(exp, { type: 'approve', actor: alice, currentPlanHash: exp.planHash, policy: p }, T0))).toBe('approval_self');
    // identity is the id (plus team), never the display name
    expect(codeOf(() => transition(exp, { type: 'approve', actor: { id: alice.id, team: 'T1', name: 'someone else' }, currentPlanHash: exp.planHash, policy: p }, T0))).toBe(
      'approval_self',
    );
  });

  it('refuses someone who is not an approver', () => {
    const exp = makeRecord('proposed');
    const dave = { id: 'U_DAVE', team: 'T1', name: 'bob' };
    expect(codeOf(() => transition(exp, { type: 'approve', actor: dave, currentPlanHash: exp.planHash, policy }, T0))).toBe('approval_not_approver');
    expect(codeOf(() => transition(exp, { type: 'approve', actor: bob, currentPlanHash: exp.planHash, policy: { ...policy, approvers: [] } }, T0))).toBe(
      'approval_not_approver',
    );
  });

  it('refuses when the plan changed between proposal and approval', () => {
    const exp = makeRecord('proposed');
    expect(codeOf(() => transition(exp, { type: 'approve', actor: bob, currentPlanHash: 'f00d', policy }, T0))).toBe('approval_plan_changed');
  });
});

describe('start', () => {
  const approved = () => makeRecord('approved', null, { approval: { by: bob, at: T0, planHash: makeRecord().planHash, expiresAt: T0 + 30 * MIN } });

  it('starts an approved experiment into prechecking', () => {
    const exp = approved();
    const { state, effects } = transition(exp, startEvent(exp), T0 + MIN);
    expect(state).toMatchObject({ state: 'running', phase: 'prechecking', startedBy: carol, startedAt: T0 + MIN });
    expect(effects).toEqual([{ type: 'notify', tone: 'info', text: `started by ${actorLabel(carol)}; checking steady state` }]);
  });

  it('without an approval → approval_missing', () => {
    const exp = makeRecord('proposed');
    expect(codeOf(() => transition(exp, startEvent(exp), T0 + MIN))).toBe('approval_missing');
    const inconsistent = makeRecord('approved', null, { approval: null });
    expect(codeOf(() => transition(inconsistent, startEvent(inconsistent), T0 + MIN))).toBe('approval_missing');
  });

  it('after the approval expired → approval_expired (expiry instant included)', () => {
    const exp = approved();
    expect(codeOf(() => transition(exp, startEvent(exp), T0 + 30 * MIN))).toBe('approval_expired');
    expect(codeOf(() => transition(exp, startEvent(exp), T0 + 30 * MIN - 1))).toBeUndefined();
  });

  it('with a different current plan hash → approval_plan_changed', () => {
    const exp = approved();
    expect(codeOf(() => transition(exp, startEvent(exp, { currentPlanHash: 'another-plan' }), T0 + MIN))).toBe('approval_plan_changed');
  });

  it('during a halt → halted', () => {
    const exp = approved();
    const limits = { ...openLimits, halted: { reason: 'incident INC-7', by: 'U_BOB' } };
    expect(codeOf(() => transition(exp, startEvent(exp, { limits }), T0 + MIN))).toBe('halted');
  });

  it('over the concurrency cap → concurrency_cap; the experiment itself does not count', () => {
    const exp = approved();
    const running = [
      { id: 'exp-8', targetIds: ['a'] },
      { id: 'exp-9', targetIds: ['b'] },
    ];
    expect(codeOf(() => transition(exp, startEvent(exp, { limits: { halted: null, maxConcurrent: 2, running } }), T0 + MIN))).toBe('concurrency_cap');
    const self = [{ id: 'exp-9', targetIds: ['b'] }, { id: exp.id, targetIds: ['checkout-1'] }];
    expect(codeOf(() => transition(exp, startEvent(exp, { limits: { halted: null, maxConcurrent: 2, running: self } }), T0 + MIN))).toBeUndefined();
  });

  it('two experiments on one target → target_busy', () => {
    const exp = approved();
    const limits = { halted: null, maxConcurrent: 5, running: [{ id: 'exp-2', targetIds: ['checkout-2', 'checkout-1'] }] };
    expect(codeOf(() => transition(exp, startEvent(exp, { limits }), T0 + MIN))).toBe('target_busy');
  });
});

describe('abort', () => {
  it('proposed or approved → cancelled, no effects beyond a notice', () => {
    for (const s of ['proposed', 'approved'] as const) {
      const { state, effects } = transition(makeRecord(s), abortEvent('not today'), T0 + MIN);
      expect(state).toMatchObject({ state: 'cancelled', phase: null, endedAt: T0 + MIN, closedBy: { by: carol, reason: 'not today' } });
      expect(effects.map((e) => e.type)).toEqual(['notify']);
    }
  });

  it('prechecking → aborted, inconclusive, nothing to revert', () => {
    const { state, effects } = transition(makeRecord('running', 'prechecking'), abortEvent(), T0 + MIN);
    expect(state).toMatchObject({ state: 'aborted', phase: null, verdict: 'inconclusive', abort: { by: carol, reason: 'stop', code: 'manual' } });
    // Ended (the runner drafts the post-mortem of every run that ended), and never at a phase that reverts.
    expect(state.endedAt).toBe(T0 + MIN);
    expect(effects).toEqual([{ type: 'notify', tone: 'danger', text: `aborted by ${actorLabel(carol)} before injection: stop` }]);
  });

  it.each(['injecting', 'observing'] as const)('%s → reverting, with the reason recorded and said', (phase) => {
    const { state, effects } = transition(makeRecord('running', phase), abortEvent('error rate', 'guardrail_breach', SYSTEM), T0 + MIN);
    expect(state).toMatchObject({ state: 'running', phase: 'reverting', abort: { by: SYSTEM, at: T0 + MIN, reason: 'error rate', code: 'guardrail_breach' } });
    expect(effects).toEqual([{ type: 'notify', tone: 'danger', text: expect.stringContaining('error rate; reverting') }]);
  });

  it.each(['reverting', 'postchecking'] as const)('%s → no effects and the first abort reason is kept', (phase) => {
    const first: AbortInfo = { by: SYSTEM, at: T0, reason: 'first', code: 'guardrail_breach' };
    const { state, effects } = transition(makeRecord('running', phase, { abort: first }), abortEvent('second'), T0 + MIN);
    expect(effects).toEqual([]);
    expect(state.phase).toBe(phase);
    expect(state.abort).toEqual(first);
  });

  it('a second abort while observing is already reverting keeps the first reason', () => {
    const after = run(makeRecord('running', 'observing'), [
      [abortEvent('breach', 'guardrail_breach', SYSTEM), T0 + MIN],
      [abortEvent('me too'), T0 + 2 * MIN],
    ]);
    expect(after.state.abort).toMatchObject({ reason: 'breach', code: 'guardrail_breach' });
    expect(after.effects).toEqual([]);
  });

  it.each(['completed', 'aborted', 'failed', 'rejected', 'expired', 'cancelled'] as const)('%s → illegal_transition', (s) => {
    expect(codeOf(() => transition(makeRecord(s), abortEvent(), T0))).toBe('illegal_transition');
  });
});

describe('failures on the way', () => {
  it('precheck-failed → aborted, inconclusive, nothing injected', () => {
    const { state, effects } = transition(makeRecord('running', 'prechecking'), { type: 'precheck-failed', reason: 'p99 900ms' }, T0 + MIN);
    expect(state).toMatchObject({ state: 'aborted', phase: null, verdict: 'inconclusive', endedAt: T0 + MIN, abort: { by: SYSTEM, code: 'steady_state_failed' } });
    expect(state.abort?.reason).toContain('p99 900ms');
    expect(state.injectedAt).toBeNull();
    expect(effects.map((e) => e.type)).toEqual(['notify']);
  });

  it('precheck-failed with preflight_failed (a guardrail could not watch) → aborted with that code, nothing injected', () => {
    const reason = 'guardrail "error rate" unknown: no data: the query returned an empty result';
    const { state, effects } = transition(makeRecord('running', 'prechecking'), { type: 'precheck-failed', reason, code: 'preflight_failed' }, T0 + MIN);
    expect(state).toMatchObject({ state: 'aborted', phase: null, verdict: 'inconclusive', abort: { by: SYSTEM, code: 'preflight_failed', reason: `pre-flight failed: ${reason}` } });
    expect(effects).toEqual([{ type: 'notify', tone: 'warning', text: `not started: pre-flight failed: ${reason}. Nothing was injected.` }]);
    expect(state.injectedAt).toBeNull();
  });

  it('inject-failed → reverting with the failure recorded', () => {
    const { state, effects } = transition(makeRecord('running', 'injecting'), { type: 'inject-failed', reason: 'ENOENT' }, T0 + MIN);
    expect(state).toMatchObject({ state: 'running', phase: 'reverting', failure: 'inject failed: ENOENT' });
    expect(effects).toEqual([{ type: 'notify', tone: 'danger', text: 'inject failed: ENOENT; reverting whatever was applied' }]);
  });

  it('revert-failed → failed, inconclusive', () => {
    const { state, effects } = transition(makeRecord('running', 'reverting'), { type: 'revert-failed', reason: 'EPERM' }, T0 + MIN);
    expect(state).toMatchObject({ state: 'failed', phase: null, verdict: 'inconclusive', failure: 'revert failed: EPERM', endedAt: T0 + MIN });
    expect(effects).toEqual([{ type: 'notify', tone: 'danger', text: 'revert failed: EPERM. A person must undo it by hand.' }]);
  });

  it('inject-failed, reverted, post-checked → failed and inconclusive', () => {
    const end = run(makeRecord('running', 'injecting'), [
      [{ type: 'inject-failed', reason: 'ENOENT' }, T0 + MIN],
      [{ type: 'reverted' }, T0 + 2 * MIN],
      [{ type: 'postchecked', passed: true }, T0 + 3 * MIN],
    ]);
    expect(end.state).toMatchObject({ state: 'failed', verdict: 'inconclusive' });
  });
});

describe('verdicts', () => {
  const observing = () => makeRecord('running', 'observing');

  it('injected sets injectedAt, and endsAt is the journaled expiry (a slow inject does not stretch the window)', () => {
    const { state, effects } = transition(makeRecord('running', 'injecting'), { type: 'injected', endsAt: T0 + 90_000 }, T0 + MIN);
    expect(state).toMatchObject({ phase: 'observing', injectedAt: T0 + MIN, endsAt: T0 + 90_000 });
    expect(effects).toEqual([{ type: 'notify', tone: 'info', text: 'fault injected; watching guardrails' }]);
  });

  it('held: duration elapsed, reverted, post-check passed → completed', () => {
    const end = run(observing(), [
      [{ type: 'duration-elapsed' }, T0 + 8 * MIN],
      [{ type: 'reverted' }, T0 + 9 * MIN],
      [{ type: 'postchecked', passed: true }, T0 + 10 * MIN],
    ]);
    expect(end.state).toMatchObject({ state: 'completed', verdict: 'held', phase: null, endedAt: T0 + 10 * MIN });
    expect(end.effects).toEqual([{ type: 'notify', tone: 'success', text: 'post-check passed; completed, verdict: held' }]);
  });

  it('refuted when the post-check fails', () => {
    const end = run(observing(), [
      [{ type: 'duration-elapsed' }, T0 + 8 * MIN],
      [{ type: 'reverted' }, T0 + 9 * MIN],
      [{ type: 'postchecked', passed: false }, T0 + 10 * MIN],
    ]);
    expect(end.state).toMatchObject({ state: 'completed', verdict: 'refuted' });
  });

  it('refuted after a guardrail breach, even when the post-check passes', () => {
    const end = run(observing(), [
      [abortEvent('error rate 12%', 'guardrail_breach', SYSTEM), T0 + 4 * MIN],
      [{ type: 'reverted' }, T0 + 5 * MIN],
      [{ type: 'postchecked', passed: true }, T0 + 6 * MIN],
    ]);
    expect(end.state).toMatchObject({ state: 'aborted', verdict: 'refuted', abort: { code: 'guardrail_breach' } });
  });

  it.each([
    ['manual', true],
    ['manual', false],
    ['guardrail_blind', true],
    ['guardrail_blind', false],
    ['halt', true],
  ] as const)('inconclusive after an abort with code %s (post-check passed: %s)', (code, passed) => {
    const end = run(observing(), [
      [abortEvent('stop', code), T0 + 4 * MIN],
      [{ type: 'reverted' }, T0 + 5 * MIN],
      [{ type: 'postchecked', passed }, T0 + 6 * MIN],
    ]);
    expect(end.state).toMatchObject({ state: 'aborted', verdict: 'inconclusive' });
  });

  it('decideVerdict: a failure outranks everything', () => {
    const failed = makeRecord('running', 'postchecking', { failure: 'inject failed: x', abort: { by: SYSTEM, at: T0, reason: 'b', code: 'guardrail_breach' } });
    expect(decideVerdict(failed, true)).toBe('inconclusive');
    expect(decideVerdict(makeRecord('running', 'postchecking'), true)).toBe('held');
  });
});

describe('purity', () => {
  const scenarios: Array<[ExperimentRecord, LifecycleEvent]> = [
    [makeRecord('proposed'), { type: 'approve', actor: bob, currentPlanHash: makeRecord().planHash, policy }],
    [makeRecord('approved'), startEvent(makeRecord('approved'))],
    [makeRecord('running', 'injecting'), { type: 'injected', endsAt: T0 + MIN }],
    [makeRecord('running', 'observing'), abortEvent()],
    [makeRecord('running', 'postchecking'), { type: 'postchecked', passed: true }],
  ];

  it.each(scenarios)('does not mutate its input and is deterministic (%#)', (exp, event) => {
    const snapshot = structuredClone(exp);
    const frozen = deepFreeze(structuredClone(exp));
    const a = transition(frozen, event, T0 + 3 * MIN);
    const b = transition(frozen, event, T0 + 3 * MIN);
    expect(frozen).toEqual(snapshot);
    expect(a).toEqual(b);
    expect(a.state).not.toBe(frozen);
    expect(transition(exp, event, T0 + 3 * MIN)).toEqual(a);
  });

  it('a refused event leaves the input untouched', () => {
    const exp = deepFreeze(makeRecord('proposed'));
    expect(() => transition(exp, { type: 'approve', actor: alice, currentPlanHash: exp.planHash, policy }, T0)).toThrow(FaultlineError);
    expect(exp.state).toBe('proposed');
  });

  it('keeps the plan untouched through a whole run', () => {
    const plan = makePlan();
    const end = run(makeRecord('approved', null, { plan }), [
      [startEvent(makeRecord('approved', null, { plan })), T0 + 2 * MIN],
      [{ type: 'precheck-passed' }, T0 + 2 * MIN],
      [{ type: 'injected', endsAt: T0 + 4 * MIN }, T0 + 3 * MIN],
      [{ type: 'duration-elapsed' }, T0 + 4 * MIN],
      [{ type: 'reverted' }, T0 + 5 * MIN],
      [{ type: 'postchecked', passed: true }, T0 + 6 * MIN],
    ]);
    expect(end.state.plan).toEqual(plan);
    expect(end.state).toMatchObject({ state: 'completed', verdict: 'held', startedAt: T0 + 2 * MIN, injectedAt: T0 + 3 * MIN, endsAt: T0 + 4 * MIN });
  });
});
