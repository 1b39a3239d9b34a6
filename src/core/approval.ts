import { sameActor, type Actor } from './actor.js';
import { FaultlineError } from './errors.js';
import type { ExperimentRecord } from './experiment.js';

export interface ApprovalPolicy {
  /** Chat user ids allowed to approve; `TEAM/USER` pins the user to one workspace. */
  approvers: readonly string[];
  /** How long an approval stays valid if the experiment is not started. */
  ttlMs: number;
  /** How long a proposal waits for approval before it can no longer be approved. */
  proposalTtlMs?: number;
}

/** `U123` matches that user id; `T9/U123` matches it only when it comes from workspace T9. */
export function isApprover(actor: Actor, approvers: readonly string[]): boolean {
  return approvers.some((entry) => {
    const slash = entry.indexOf('/');
    if (slash < 0) return entry === actor.id;
    return entry.slice(0, slash) === (actor.team ?? '') && entry.slice(slash + 1) === actor.id;
  });
}

export const DEFAULT_APPROVAL_TTL_MS = 30 * 60_000;

/** Throws the coded refusal, or returns nothing when `actor` may approve `exp` as planned now. */
export function checkApproval(exp: Pick<ExperimentRecord, 'id' | 'proposedBy' | 'proposedAt' | 'planHash'>, actor: Actor, currentPlanHash: string, policy: ApprovalPolicy, now?: number): void {
  if (sameActor(exp.proposedBy, actor)) {
    throw new FaultlineError('approval_self', `${actor.id} proposed ${exp.id} and cannot approve it; a second person must`, {
      experimentId: exp.id,
      actor: actor.id,
    });
  }
  if (!isApprover(actor, policy.approvers)) {
    throw new FaultlineError('approval_not_approver', `${actor.id} is not an approver; approvers are: ${policy.approvers.join(', ') || '(none configured)'}`, {
      experimentId: exp.id,
      actor: actor.id,
    });
  }
  if (now !== undefined && policy.proposalTtlMs !== undefined && now >= exp.proposedAt + policy.proposalTtlMs) {
    throw new FaultlineError('approval_expired', `the proposal ${exp.id} expired before it was approved; propose it again`, {
      experimentId: exp.id,
      expiredAt: exp.proposedAt + policy.proposalTtlMs,
    });
  }
  if (currentPlanHash !== exp.planHash) {
    throw new FaultlineError('approval_plan_changed', `the plan of ${exp.id} changed since it was proposed; propose it again`, {
      experimentId: exp.id,
      proposed: exp.planHash,
      current: currentPlanHash,
    });
  }
}

/** An approval is usable only for the plan it covered and only until it expires. */
export function checkApprovalValid(exp: ExperimentRecord, currentPlanHash: string, now: number): void {
  const approval = exp.approval;
  if (!approval) throw new FaultlineError('approval_missing', `${exp.id} has not been approved`, { experimentId: exp.id });
  if (now >= approval.expiresAt) {
    throw new FaultlineError('approval_expired', `the approval of ${exp.id} expired at ${new Date(approval.expiresAt).toISOString()}; approve it again`, {
      experimentId: exp.id,
      expiresAt: approval.expiresAt,
    });
  }
  if (approval.planHash !== currentPlanHash) {
    throw new FaultlineError('approval_plan_changed', `the targets or plan of ${exp.id} changed after approval; the approval is void`, {
      experimentId: exp.id,
      approved: approval.planHash,
      current: currentPlanHash,
    });
  }
}
