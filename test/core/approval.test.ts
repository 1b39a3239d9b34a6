import { describe, expect, it } from 'vitest';
import { sameActor } from '../../src/core/actor.js';
import { checkApproval, checkApprovalValid, DEFAULT_APPROVAL_TTL_MS } from '../../src/core/approval.js';
import { checkOrgLimits } from '../../src/core/blast-radius.js';
import { FaultlineError, isFaultlineError, wrapError } from '../../src/core/errors.js';
import { ExperimentRecord, isTerminal, TERMINAL_STATES } from '../../src/core/experiment.js';
import { alice, bob, makeRecord, MIN, policy, STATE_PHASES, T0 } from './fixtures.js';

const codeOf = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as FaultlineError).code;
  }
};

describe('approval policy', () => {
  it('the default ttl is 30 minutes', () => {
    expect(DEFAULT_APPROVAL_TTL_MS).toBe(30 * MIN);
  });

  it('checks self first, then approver list, then plan', () => {
    const exp = makeRecord('proposed');
    expect(codeOf(() => checkApproval(exp, alice, 'other', { approvers: [], ttlMs: 1 }))).toBe('approval_self');
    expect(codeOf(() => checkApproval(exp, { id: 'U_X' }, 'other', policy))).toBe('approval_not_approver');
    expect(codeOf(() => checkApproval(exp, bob, 'other', policy))).toBe('approval_plan_changed');
    expect(codeOf(() => checkApproval(exp, bob, exp.planHash, policy))).toBeUndefined();
  });

  it('a user id is one person in every workspace: the proposer cannot approve from another team', () => {
    expect(sameActor(alice, { id: alice.id, team: 'T2' })).toBe(true);
    expect(sameActor({ id: 'U1' }, { id: 'U1', team: '' })).toBe(true);
    expect(sameActor(alice, { ...bob, team: alice.team })).toBe(false);
    const exp = makeRecord('proposed');
    for (const team of ['T2', undefined, '']) {
      const elsewhere = { id: alice.id, ...(team !== undefined ? { team } : {}), name: 'another alice' };
      expect(codeOf(() => checkApproval(exp, elsewhere, exp.planHash, { ...policy, approvers: [alice.id, 'T2/' + alice.id] }))).toBe('approval_self');
    }
  });

  it('a TEAM/USER pin narrows who may approve; it never makes the proposer a second person', () => {
    const exp = makeRecord('proposed');
    const pinned = { ...policy, approvers: ['T1/' + bob.id, 'T2/' + alice.id] };
    expect(codeOf(() => checkApproval(exp, bob, exp.planHash, pinned))).toBeUndefined();
    expect(codeOf(() => checkApproval(exp, { ...bob, team: 'T9' }, exp.planHash, pinned))).toBe('approval_not_approver');
    expect(codeOf(() => checkApproval(exp, { ...alice, team: 'T2' }, exp.planHash, pinned))).toBe('approval_self');
  });

  it('checkApprovalValid: missing, expired, plan changed, valid', () => {
    const approval = { by: bob, at: T0, planHash: 'h1', expiresAt: T0 + MIN };
    expect(codeOf(() => checkApprovalValid(makeRecord('approved', null, { approval: null }), 'h1', T0))).toBe('approval_missing');
    expect(codeOf(() => checkApprovalValid(makeRecord('approved', null, { approval }), 'h1', T0 + MIN))).toBe('approval_expired');
    expect(codeOf(() => checkApprovalValid(makeRecord('approved', null, { approval }), 'h2', T0))).toBe('approval_plan_changed');
    expect(codeOf(() => checkApprovalValid(makeRecord('approved', null, { approval }), 'h1', T0))).toBeUndefined();
  });

  it('an expired approval is reported before a changed plan', () => {
    const approval = { by: bob, at: T0, planHash: 'h1', expiresAt: T0 + MIN };
    expect(codeOf(() => checkApprovalValid(makeRecord('approved', null, { approval }), 'h2', T0 + 2 * MIN))).toBe('approval_expired');
  });
});

describe('org limits', () => {
  it('halt outranks the cap, the cap outranks a busy target', () => {
    const running = [{ id: 'x', targetIds: ['t1'] }];
    expect(codeOf(() => checkOrgLimits('e', ['t1'], { halted: { reason: 'r', by: 'U' }, maxConcurrent: 0, running }))).toBe('halted');
    expect(codeOf(() => checkOrgLimits('e', ['t1'], { halted: null, maxConcurrent: 1, running }))).toBe('concurrency_cap');
    expect(codeOf(() => checkOrgLimits('e', ['t1'], { halted: null, maxConcurrent: 2, running }))).toBe('target_busy');
    expect(codeOf(() => checkOrgLimits('e', ['t2'], { halted: null, maxConcurrent: 2, running }))).toBeUndefined();
  });
});

describe('records and errors', () => {
  it('every fixture record is a valid ExperimentRecord', () => {
    for (const [state, phase] of STATE_PHASES) expect(() => ExperimentRecord.parse(makeRecord(state, phase))).not.toThrow();
  });

  it('terminal states', () => {
    expect(TERMINAL_STATES).toEqual(['completed', 'aborted', 'failed', 'rejected', 'expired', 'cancelled']);
    expect(['proposed', 'approved', 'running'].some((s) => isTerminal(s as never))).toBe(false);
  });

  it('wrapError keeps a FaultlineError and wraps anything else with its cause', () => {
    const own = new FaultlineError('halted', 'stop');
    expect(wrapError('adapter_error', 'x', own)).toBe(own);
    const cause = new Error('ECONNREFUSED');
    const wrapped = wrapError('signal_error', 'prometheus query failed', cause, { q: 'up' });
    expect(wrapped).toMatchObject({ code: 'signal_error', message: 'prometheus query failed: ECONNREFUSED', details: { q: 'up' }, cause });
    expect(isFaultlineError(wrapped, 'signal_error')).toBe(true);
    expect(isFaultlineError(wrapped, 'halted')).toBe(false);
    expect(isFaultlineError(new Error('x'))).toBe(false);
    expect(wrapError('adapter_error', 'y', 'plain string').message).toBe('y: plain string');
  });
});

describe('approver identity', () => {
  it('a TEAM/USER entry matches only that user from that workspace; a bare id matches the id', async () => {
    const { isApprover } = await import('../../src/core/approval.js');
    expect(isApprover({ id: 'U1', team: 'T1' }, ['T1/U1'])).toBe(true);
    expect(isApprover({ id: 'U1', team: 'T9' }, ['T1/U1'])).toBe(false);
    expect(isApprover({ id: 'U1' }, ['T1/U1'])).toBe(false);
    expect(isApprover({ id: 'U1', team: 'T9' }, ['U1'])).toBe(true);
    expect(isApprover({ id: 'U2', team: 'T1' }, ['T1/U1', 'U3'])).toBe(false);
  });
});
