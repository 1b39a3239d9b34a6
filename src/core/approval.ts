import { sameActor, type Actor } from './actor.js';
import { FaultlineError } from './errors.js';
import type { ExperimentRecord } from './experiment.js';

export interface ApprovalPolicy {
  /** Chat user ids allowed to approve. */
  approvers: readonly string[];
  /** How long an approval stays valid if the experiment is not started. */
  ttlMs: number;
}

export const DEFAULT_APPROVAL_TTL_MS = 30 * 60_000;

/** Throws the coded refusal, or returns nothing when `actor` may approve `exp` as planned now. */
export function checkApproval(exp: ExperimentRecord, actor: Actor, currentPlanHash: string, policy: ApprovalPolicy): void {
  if (sameActor(exp.proposedBy, actor)) {
    throw new FaultlineError('approval_self', `${actor.id} proposed ${exp.id} and cannot approve it; a second person must`, {
      experimentId: exp.id,
      actor: actor.id,
    });
  }
  if (!policy.approvers.includes(actor.id)) {
    throw new FaultlineError('approval_not_approver', `${actor.id} is not an approver; approvers are: ${policy.approvers.join(', ') || '(none configured)'}`, {
      experimentId: exp.id,
      actor: actor.id,
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
