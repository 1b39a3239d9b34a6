import { actorLabel, SYSTEM, type Actor } from './actor.js';
import { checkApproval, checkApprovalValid, type ApprovalPolicy } from './approval.js';
import { checkOrgLimits, type OrgLimits } from './blast-radius.js';
import { FaultlineError } from './errors.js';
import { checkPermitted, isSystem, type Authority } from './permissions.js';
import { isTerminal, partialApplied, type AbortInfo, type ExperimentRecord, type PartialApplication, type Verdict } from './experiment.js';

export type LifecycleEvent =
  | { type: 'approve'; actor: Actor; currentPlanHash: string; policy: ApprovalPolicy }
  /** `authority`: who counts as an approver (and a game-day step's commander) right now; see core/permissions.ts. */
  | { type: 'reject'; actor: Actor; reason: string; authority: Authority }
  | { type: 'cancel'; actor: Actor; reason: string; authority: Authority }
  | { type: 'expire' }
  | { type: 'start'; actor: Actor; currentPlanHash: string; limits: OrgLimits; targetIds: readonly string[]; authority: Authority }
  | { type: 'precheck-passed' }
  /** `preflight_failed`: a guardrail could not be watched or already broke before the fault went in. */
  | { type: 'precheck-failed'; reason: string; code?: 'preflight_failed' }
  /**
   * `endsAt` is the expiry journaled with the intent and handed to the target: the run ends when the fault does.
   * `partial`: the target applied only part of the fault (the run can then not end "held").
   */
  | { type: 'injected'; endsAt: number; partial?: PartialApplication }
  | { type: 'inject-failed'; reason: string }
  | { type: 'duration-elapsed' }
  /**
   * Anyone may abort a run. Before it runs an abort is a cancel and follows the cancel rule with
   * `authority` (absent: only the proposer and the bot itself may).
   */
  | { type: 'abort'; actor: Actor; reason: string; code: AbortInfo['code']; authority?: Authority }
  | { type: 'reverted' }
  | { type: 'revert-failed'; reason: string }
  | { type: 'postchecked'; passed: boolean };

/**
 * What the engine does because of a transition, besides persisting it: every effect returned here is
 * performed (engine/experiments/transitions.ts, an exhaustive switch). The run's steps (pre-check, inject,
 * observe, revert, post-check, post-mortem) are not effects: the persisted `state`/`phase` is their one
 * source, and the runner takes its next step from it, so a restart resumes from the stored phase.
 */
export type Effect = { type: 'notify'; tone: 'info' | 'success' | 'warning' | 'danger'; text: string };

export interface TransitionResult {
  state: ExperimentRecord;
  effects: Effect[];
}

function illegal(exp: ExperimentRecord, event: LifecycleEvent): never {
  const where = exp.phase ? `${exp.state}/${exp.phase}` : exp.state;
  throw new FaultlineError('illegal_transition', `${exp.id} is ${where}; "${event.type}" is not possible now`, {
    experimentId: exp.id,
    state: exp.state,
    phase: exp.phase,
    event: event.type,
  });
}

const notify = (tone: 'info' | 'success' | 'warning' | 'danger', text: string): Effect => ({ type: 'notify', tone, text });

/**
 * Which verdict the evidence supports. Only a guardrail breach or a steady state that did not return
 * refutes. A fault that went in only in part cannot show the hypothesis held (it was not tested as
 * written), but a breach or a steady state lost under less than the planned fault still refutes.
 */
export function decideVerdict(exp: ExperimentRecord, postcheckPassed: boolean): Verdict {
  if (exp.failure) return 'inconclusive';
  if (exp.abort) return exp.abort.code === 'guardrail_breach' ? 'refuted' : 'inconclusive';
  if (!postcheckPassed) return 'refuted';
  return exp.partial ? 'inconclusive' : 'held';
}

/**
 * The experiment state machine. Pure: the same state, event and time always give the same result;
 * an event that is not legal in the current state is refused with `illegal_transition`.
 */
export function transition(exp: ExperimentRecord, event: LifecycleEvent, now: number): TransitionResult {
  const next = (patch: Partial<ExperimentRecord>, effects: Effect[] = []): TransitionResult => ({
    state: { ...exp, ...patch, updatedAt: now },
    effects,
  });
  const { state, phase } = exp;

  switch (event.type) {
    case 'approve': {
      if (state !== 'proposed') illegal(exp, event);
      checkApproval(exp, event.actor, event.currentPlanHash, event.policy, now);
      const approval = { by: event.actor, at: now, planHash: exp.planHash, expiresAt: now + event.policy.ttlMs };
      return next({ state: 'approved', approval }, [notify('success', `approved by ${actorLabel(event.actor)}`)]);
    }
    case 'reject':
    case 'cancel': {
      if (state !== 'proposed' && state !== 'approved') illegal(exp, event);
      checkPermitted(event.type, exp, event.actor, event.authority);
      const closedBy = { by: event.actor, at: now, reason: event.reason };
      const verb = event.type === 'reject' ? 'rejected' : 'cancelled';
      return next({ state: verb, closedBy, endedAt: now }, [notify('warning', `${verb} by ${actorLabel(event.actor)}: ${event.reason}`)]);
    }
    case 'expire': {
      if (state !== 'proposed' && state !== 'approved') illegal(exp, event);
      const closedBy = { by: SYSTEM, at: now, reason: state === 'approved' ? 'approval expired before start' : 'proposal expired without approval' };
      return next({ state: 'expired', closedBy, endedAt: now }, [notify('warning', closedBy.reason)]);
    }
    case 'start': {
      if (state !== 'proposed' && state !== 'approved') illegal(exp, event);
      checkPermitted('start', exp, event.actor, event.authority);
      if (state !== 'approved') {
        checkApprovalValid(exp, event.currentPlanHash, now);
        illegal(exp, event);
      }
      checkApprovalValid(exp, event.currentPlanHash, now);
      checkOrgLimits(exp.id, event.targetIds, event.limits);
      return next({ state: 'running', phase: 'prechecking', startedBy: event.actor, startedAt: now }, [
        notify('info', `started by ${actorLabel(event.actor)}; checking steady state`),
      ]);
    }
    case 'precheck-passed': {
      if (state !== 'running' || phase !== 'prechecking') illegal(exp, event);
      return next({ phase: 'injecting' });
    }
    case 'precheck-failed': {
      if (state !== 'running' || phase !== 'prechecking') illegal(exp, event);
      const abort: AbortInfo =
        event.code === 'preflight_failed'
          ? { by: SYSTEM, at: now, reason: `pre-flight failed: ${event.reason}`, code: 'preflight_failed' }
          : { by: SYSTEM, at: now, reason: `steady state failed before injection: ${event.reason}`, code: 'steady_state_failed' };
      return next({ state: 'aborted', phase: null, abort, verdict: 'inconclusive', endedAt: now }, [notify('warning', `not started: ${abort.reason}. Nothing was injected.`)]);
    }
    case 'injected': {
      if (state !== 'running' || phase !== 'injecting') illegal(exp, event);
      const endsAt = event.endsAt;
      if (event.partial) {
        const text = `fault injected, but ${partialApplied(event.partial)}; watching guardrails (the verdict can be no better than inconclusive)`;
        return next({ phase: 'observing', injectedAt: now, endsAt, partial: event.partial }, [notify('warning', text)]);
      }
      return next({ phase: 'observing', injectedAt: now, endsAt }, [notify('info', 'fault injected; watching guardrails')]);
    }
    case 'inject-failed': {
      if (state !== 'running' || phase !== 'injecting') illegal(exp, event);
      return next({ phase: 'reverting', failure: `inject failed: ${event.reason}` }, [notify('danger', `inject failed: ${event.reason}; reverting whatever was applied`)]);
    }
    case 'duration-elapsed': {
      if (state !== 'running' || phase !== 'observing') illegal(exp, event);
      return next({ phase: 'reverting' }, [notify('info', 'duration elapsed; reverting the fault')]);
    }
    case 'abort': {
      const abort: AbortInfo = { by: event.actor, at: now, reason: event.reason, code: event.code };
      if (state === 'proposed' || state === 'approved') {
        // Nothing runs yet: this abort is a cancel, and only those the cancel rule names may.
        if (!isSystem(event.actor)) checkPermitted('cancel', exp, event.actor, event.authority ?? { approvers: [] });
        const closedBy = { by: event.actor, at: now, reason: event.reason };
        return next({ state: 'cancelled', closedBy, abort, endedAt: now }, [notify('warning', `cancelled by ${actorLabel(event.actor)}: ${event.reason}`)]);
      }
      if (state !== 'running') illegal(exp, event);
      if (phase === 'prechecking') {
        return next({ state: 'aborted', phase: null, abort, verdict: 'inconclusive', endedAt: now }, [
          notify('danger', `aborted by ${actorLabel(event.actor)} before injection: ${event.reason}`),
        ]);
      }
      // Already on the way out: nothing changes (the first reason, or a clean end, stands); abort is idempotent.
      if (phase === 'reverting' || phase === 'postchecking') return next({});
      return next({ phase: 'reverting', abort }, [notify('danger', `aborted by ${actorLabel(event.actor)}: ${event.reason}; reverting`)]);
    }
    case 'reverted': {
      if (state !== 'running' || phase !== 'reverting') illegal(exp, event);
      return next({ phase: 'postchecking' }, [notify('success', 'fault reverted; checking steady state again')]);
    }
    case 'revert-failed': {
      if (state !== 'running' || phase !== 'reverting') illegal(exp, event);
      const failure = `revert failed: ${event.reason}`;
      return next({ state: 'failed', phase: null, failure, verdict: 'inconclusive', endedAt: now }, [notify('danger', `${failure}. A person must undo it by hand.`)]);
    }
    case 'postchecked': {
      if (state !== 'running' || phase !== 'postchecking') illegal(exp, event);
      const verdict = decideVerdict(exp, event.passed);
      const finalState = exp.failure ? 'failed' : exp.abort ? 'aborted' : 'completed';
      const why = verdict === 'inconclusive' && exp.partial && !exp.failure && !exp.abort ? ` (the fault went in only in part: ${partialApplied(exp.partial)})` : '';
      return next({ state: finalState, phase: null, verdict, endedAt: now }, [
        notify(verdict === 'held' ? 'success' : 'warning', `post-check ${event.passed ? 'passed' : 'failed'}; ${finalState}, verdict: ${verdict}${why}`),
      ]);
    }
  }
  if (isTerminal(state)) illegal(exp, event);
  return illegal(exp, event);
}
