import type { Actor } from '../../src/core/actor.js';
import type { ApprovalPolicy } from '../../src/core/approval.js';
import type { OrgLimits } from '../../src/core/blast-radius.js';
import type { Authority } from '../../src/core/permissions.js';
import type { ExperimentRecord, ExperimentState, Plan, RunPhase } from '../../src/core/experiment.js';
import { planHash } from '../../src/core/plan-hash.js';
import type { ResolvedTarget } from '../../src/core/ports.js';

export const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);
export const MIN = 60_000;

export const alice: Actor = { id: 'U_ALICE', team: 'T1', name: 'alice' };
export const bob: Actor = { id: 'U_BOB', team: 'T1', name: 'bob' };
export const carol: Actor = { id: 'U_CAROL', team: 'T1', name: 'carol' };

export const policy: ApprovalPolicy = { approvers: [bob.id, carol.id], ttlMs: 30 * MIN };
/** Who counts as an approver in start, reject, cancel and abort-before-run events: the policy's approvers. */
export const authority: Authority = { approvers: policy.approvers };
export const openLimits: OrgLimits = { halted: null, maxConcurrent: 3, running: [] };

export function target(id: string, attributes: Record<string, string> = {}, name = id): ResolvedTarget {
  return { id, name, kind: 'replica', attributes };
}

export function makePlan(overrides: Partial<Plan> = {}): Plan {
  return {
    experiment: 'checkout-latency',
    adapter: 'process',
    selector: { app: 'checkout' },
    blastRadius: 'one',
    candidates: 3,
    targets: [target('checkout-1', { namespace: 'shop' })],
    fault: { type: 'kill', parameters: { signal: 'SIGTERM' } },
    durationMs: 5 * MIN,
    guardrails: [{ name: 'error-rate', signal: 'prometheus', comparison: '>', threshold: 0.05, forMs: 30_000, maxUnknown: 3 }],
    steadyState: [{ name: 'p99', signal: 'prometheus', comparison: '<', threshold: 300 }],
    seed: 42,
    ...overrides,
  };
}

/** Every (state, phase) pair a record can really be in. */
export const STATE_PHASES: ReadonlyArray<readonly [ExperimentState, RunPhase | null]> = [
  ['proposed', null],
  ['approved', null],
  ['running', 'prechecking'],
  ['running', 'injecting'],
  ['running', 'observing'],
  ['running', 'reverting'],
  ['running', 'postchecking'],
  ['completed', null],
  ['aborted', null],
  ['failed', null],
  ['rejected', null],
  ['expired', null],
  ['cancelled', null],
];

/**
 * A record in any state/phase with the fields that state implies filled in plausibly:
 * approved and later carry an approval, running and later carry a start, observing and later
 * an injection time, terminal states an end time.
 */
export function makeRecord(state: ExperimentState = 'proposed', phase: RunPhase | null = null, overrides: Partial<ExperimentRecord> = {}): ExperimentRecord {
  const plan = overrides.plan ?? makePlan();
  const hash = overrides.planHash ?? planHash(plan);
  const approvedLike = state !== 'proposed' && state !== 'rejected' && state !== 'expired' && state !== 'cancelled';
  const started = state === 'running' || state === 'completed' || state === 'aborted' || state === 'failed';
  const injected = started && phase !== 'prechecking' && phase !== 'injecting';
  const terminal = state !== 'proposed' && state !== 'approved' && state !== 'running';
  return {
    id: 'exp-1',
    name: plan.experiment,
    channel: '#chaos',
    state,
    phase,
    verdict: terminal && started ? 'held' : null,
    plan,
    planHash: hash,
    proposedBy: alice,
    proposedAt: T0,
    approval: approvedLike ? { by: bob, at: T0 + MIN, planHash: hash, expiresAt: T0 + 31 * MIN } : null,
    closedBy: terminal && !started ? { by: bob, at: T0 + MIN, reason: 'closed' } : null,
    startedBy: started ? alice : null,
    startedAt: started ? T0 + 2 * MIN : null,
    injectedAt: injected ? T0 + 3 * MIN : null,
    endsAt: injected ? T0 + 8 * MIN : null,
    endedAt: terminal ? T0 + 10 * MIN : null,
    abort: null,
    failure: null,
    updatedAt: T0 + MIN,
    ...overrides,
  };
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
