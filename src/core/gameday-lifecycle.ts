import { actorLabel, SYSTEM, type Actor } from './actor.js';
import { checkApproval, isApprover, type ApprovalPolicy } from './approval.js';
import { formatDuration } from './duration.js';
import { FaultlineError } from './errors.js';
import { checkPermitted, isSystem, type Authority } from './permissions.js';
import type { ExperimentRecord, ExperimentState, Verdict } from './experiment.js';
import { isGameDayTerminal, type CheckpointDecision, type GameDayRecord, type HoldRequest } from './gameday-record.js';

/** How a step's experiment ended, as the game day needs to know it. */
export interface StepOutcome {
  index: number;
  state: ExperimentState;
  verdict: Verdict | null;
  summary: string | null;
}

/** How the experiment of step `index` ended, as the game day records it. */
export function stepOutcome(index: number, exp: Pick<ExperimentRecord, 'state' | 'verdict' | 'abort' | 'failure'>): StepOutcome {
  return { index, state: exp.state, verdict: exp.verdict, summary: exp.abort?.reason ?? exp.failure ?? null };
}

export type GameDayEvent =
  | { type: 'approve'; actor: Actor; currentPlanHash: string; policy: ApprovalPolicy }
  /** `authority.approvers`: who counts as an approver now (the commander comes from the record). */
  | { type: 'reject'; actor: Actor; reason: string; authority: Pick<Authority, 'approvers'> }
  | { type: 'expire' }
  | { type: 'continue'; actor: Actor; /** A schedule with a standing approval starts step 1 itself; later checkpoints are still the commander's. */ scheduled?: boolean }
  | { type: 'hold'; actor: Actor; reason: string }
  /** Anyone may abort a running day; before it runs an abort is a cancel: the proposer, the commander or an approver. */
  | { type: 'abort'; actor: Actor; reason: string; authority?: Pick<Authority, 'approvers'> }
  | { type: 'step-started'; index: number; experimentId: string }
  | { type: 'step-refused'; index: number; reason: string; drift?: GameDayRecord['pendingApproval'] }
  | { type: 'step-ended'; outcome: StepOutcome }
  | { type: 'interrupt'; reason: string; stepInFlight: boolean; outcome?: StepOutcome }
  | { type: 'commander-seen' };

/**
 * What the engine does because of a transition, besides persisting it. Like the experiment machine's
 * effects, every one returned is performed (engine/gamedays/gameday-service.ts, an exhaustive switch).
 */
export type GameDayEffect =
  | { type: 'notify'; tone: 'info' | 'success' | 'warning' | 'danger'; text: string }
  | { type: 'start-step'; index: number }
  | { type: 'abort-step'; experimentId: string; reason: string }
  | { type: 'checkpoint'; beforeStep: number }
  | { type: 'write-report' };

export interface GameDayTransition {
  state: GameDayRecord;
  effects: GameDayEffect[];
}

const notify = (tone: 'info' | 'success' | 'warning' | 'danger', text: string): GameDayEffect => ({ type: 'notify', tone, text });

function illegal(gd: GameDayRecord, event: GameDayEvent): never {
  throw new FaultlineError('illegal_transition', `${gd.id} is ${gd.state}; "${event.type}" is not possible now`, { gameDayId: gd.id, state: gd.state, event: event.type });
}

/** Only the commander decides at a checkpoint; anyone may abort. */
export function checkCommander(gd: GameDayRecord, actor: Actor, what: string): void {
  if (!isApprover(actor, [gd.roles.commander])) {
    throw new FaultlineError('gameday_role', `only the commander (${gd.roles.commander}) can ${what} ${gd.id}; anyone can abort it`, {
      gameDayId: gd.id,
      actor: actor.id,
      commander: gd.roles.commander,
    });
  }
}

/** The commander has not been heard from for longer than the game day allows. */
export function commanderLost(gd: GameDayRecord, now: number): boolean {
  return now - gd.commanderSeenAt > gd.commanderTimeoutMs;
}

const stepLabel = (gd: GameDayRecord, i: number) => `step ${i + 1}/${gd.steps.length} (${gd.steps[i]?.name ?? '?'})`;

/** The hold the commander asked for during the running step, if any (a legacy `true` names no one: the bot). */
function holdAsked(gd: GameDayRecord, now: number): HoldRequest | null {
  if (gd.holdRequested === false) return null;
  return gd.holdRequested === true ? { by: SYSTEM, at: now, reason: 'hold asked during the step' } : gd.holdRequested;
}

/** A step that ends aborted, failed or refuted stops the whole game day. */
function stopsGameDay(o: StepOutcome): boolean {
  return o.state !== 'completed' || o.verdict !== 'held';
}

/**
 * The game-day state machine. Pure like the experiment's: the same record, event and time give the
 * same result; `approved`, `checkpoint` and `held` wait for the commander, `running` has one step in flight.
 */
export function gameDayTransition(gd: GameDayRecord, event: GameDayEvent, now: number): GameDayTransition {
  const next = (patch: Partial<GameDayRecord>, effects: GameDayEffect[] = []): GameDayTransition => ({ state: { ...gd, ...patch, updatedAt: now }, effects });
  const decision = (choice: CheckpointDecision['choice'], by: Actor, reason: string | null): CheckpointDecision[] => [...gd.decisions, { beforeStep: gd.next, choice, by, at: now, reason }];
  const withStep = (o: StepOutcome) =>
    gd.steps.map((s) => (s.index === o.index ? { ...s, state: o.state, verdict: o.verdict, summary: o.summary, endedAt: s.endedAt ?? now } : s));
  const waiting = gd.state === 'approved' || gd.state === 'checkpoint' || gd.state === 'held';

  switch (event.type) {
    case 'approve': {
      if (gd.state === 'proposed') {
        checkApproval(gd, event.actor, event.currentPlanHash, event.policy, now);
        const approval = { by: event.actor, at: now, planHash: gd.planHash, expiresAt: now + event.policy.ttlMs };
        return next({ state: 'approved', approval }, [notify('success', `game day approved by ${actorLabel(event.actor)}; the commander starts step 1 with Continue`)]);
      }
      // A later step drifted since approval: an approver (not the proposer) covers the new plan.
      if ((gd.state === 'checkpoint' || gd.state === 'held') && gd.pendingApproval) {
        const p = gd.pendingApproval;
        checkApproval({ ...gd, planHash: p.gameDayHash }, event.actor, event.currentPlanHash, { ...event.policy, proposalTtlMs: undefined }, now);
        const steps = gd.steps.map((s) => (s.index === p.step ? { ...s, plan: p.plan, planHash: p.planHash } : s));
        const approval = { by: event.actor, at: now, planHash: p.gameDayHash, expiresAt: now + event.policy.ttlMs };
        return next({ steps, planHash: p.gameDayHash, approval, pendingApproval: null }, [
          notify('success', `${stepLabel(gd, p.step)} approved again by ${actorLabel(event.actor)} for its new plan`),
        ]);
      }
      return illegal(gd, event);
    }
    case 'reject': {
      if (gd.state !== 'proposed') illegal(gd, event);
      checkPermitted('reject', gd, event.actor, event.authority);
      const closedBy = { by: event.actor, at: now, reason: event.reason };
      return next({ state: 'rejected', closedBy, endedAt: now }, [notify('warning', `game day rejected by ${actorLabel(event.actor)}: ${event.reason}`)]);
    }
    case 'expire': {
      if (gd.state !== 'proposed' && gd.state !== 'approved') illegal(gd, event);
      const reason = gd.state === 'approved' ? 'approval expired before step 1 started' : 'proposal expired without approval';
      return next({ state: 'expired', closedBy: { by: SYSTEM, at: now, reason }, endedAt: now }, [notify('warning', reason)]);
    }
    case 'continue': {
      if (!waiting) illegal(gd, event);
      if (!(event.scheduled && gd.state === 'approved' && gd.scheduleId)) checkCommander(gd, event.actor, 'continue');
      if (gd.pendingApproval) {
        throw new FaultlineError('approval_plan_changed', `${stepLabel(gd, gd.pendingApproval.step)} changed since approval (${gd.pendingApproval.reason}); an approver must approve ${gd.id} again`, {
          gameDayId: gd.id,
        });
      }
      if (gd.state === 'approved' && gd.approval && now >= gd.approval.expiresAt) {
        throw new FaultlineError('approval_expired', `the approval of ${gd.id} expired at ${new Date(gd.approval.expiresAt).toISOString()}; propose it again`, { gameDayId: gd.id });
      }
      return next(
        {
          state: 'running',
          current: gd.next,
          holdReason: null,
          holdRequested: false,
          startedAt: gd.startedAt ?? now,
          commanderSeenAt: event.scheduled ? gd.commanderSeenAt : now,
          decisions: decision('continue', event.actor, event.scheduled ? `scheduled start (${gd.scheduleId})` : null),
        },
        [notify('info', `${actorLabel(event.actor)}: continue → ${stepLabel(gd, gd.next)}`), { type: 'start-step', index: gd.next }],
      );
    }
    case 'hold': {
      checkCommander(gd, event.actor, 'hold');
      if (gd.state === 'running') {
        // Kept on the record with who and when, and applied when the step ends (see step-ended).
        const holdRequested = { by: event.actor, at: now, reason: event.reason };
        const running = gd.current ?? gd.next;
        // After the last step there is nothing to hold before: the hold is kept for the record all the same.
        const last = running >= gd.steps.length - 1 ? '; it is the last step, so the day ends after it and the hold is noted in the decisions' : '';
        return next({ holdRequested, commanderSeenAt: now }, [notify('info', `${actorLabel(event.actor)}: hold after ${stepLabel(gd, running)} (${event.reason})${last}`)]);
      }
      if (gd.state !== 'approved' && gd.state !== 'checkpoint') illegal(gd, event);
      return next({ state: 'held', holdReason: `held by ${actorLabel(event.actor)}: ${event.reason}`, commanderSeenAt: now, decisions: decision('hold', event.actor, event.reason) }, [
        notify('warning', `${actorLabel(event.actor)}: hold before ${stepLabel(gd, gd.next)} (${event.reason}); Continue when ready`),
      ]);
    }
    case 'abort': {
      if (gd.state === 'proposed' || gd.state === 'approved') {
        if (!isSystem(event.actor)) checkPermitted('cancel', gd, event.actor, { approvers: event.authority?.approvers ?? [], commander: gd.roles.commander });
        const closedBy = { by: event.actor, at: now, reason: event.reason };
        return next({ state: 'cancelled', closedBy, endedAt: now }, [notify('warning', `game day cancelled by ${actorLabel(event.actor)}: ${event.reason}`)]);
      }
      if (gd.state !== 'running' && gd.state !== 'checkpoint' && gd.state !== 'held') illegal(gd, event);
      const closedBy = { by: event.actor, at: now, reason: event.reason };
      const running = gd.current !== null ? gd.steps[gd.current]?.experimentId : null;
      const effects: GameDayEffect[] = [notify('danger', `game day aborted by ${actorLabel(event.actor)}: ${event.reason}; later steps will not run`)];
      // With a step in flight, the report waits for that step to finish reverting.
      if (running) effects.push({ type: 'abort-step', experimentId: running, reason: `game day ${gd.id} aborted: ${event.reason}` });
      else effects.push({ type: 'write-report' });
      const decisions = gd.state === 'running' ? gd.decisions : decision('abort', event.actor, event.reason);
      return next({ state: 'aborted', closedBy, endedAt: now, decisions }, effects);
    }
    case 'step-started': {
      if (gd.state !== 'running' || gd.current !== event.index) illegal(gd, event);
      const steps = gd.steps.map((s) => (s.index === event.index ? { ...s, experimentId: event.experimentId, startedAt: now } : s));
      return next({ steps });
    }
    case 'step-refused': {
      if (gd.state !== 'running' || gd.current !== event.index) illegal(gd, event);
      const reason = `${stepLabel(gd, event.index)} could not start: ${event.reason}`;
      const steps = gd.steps.map((s) => (s.index === event.index ? { ...s, experimentId: null, startedAt: null } : s));
      // A hold asked while the step was being launched is spent: the day holds anyway, before that step.
      return next({ state: 'held', current: null, steps, holdReason: reason, holdRequested: false, pendingApproval: event.drift ?? gd.pendingApproval }, [
        // The reason is said once, by the checkpoint message that follows ("Holding: …").
        notify('warning', `${stepLabel(gd, event.index)} did not start. Holding; the commander may Continue to try again, or Abort.${event.drift ? ' An approver must approve the new plan first.' : ''}`),
        { type: 'checkpoint', beforeStep: event.index },
      ]);
    }
    case 'step-ended': {
      const o = event.outcome;
      const steps = withStep(o);
      // The game day was already stopped (aborted): record how the step ended, then report.
      if (gd.state === 'aborted' || gd.state === 'interrupted') {
        if (gd.current !== o.index) illegal(gd, event);
        return next({ steps, current: null }, [{ type: 'write-report' }]);
      }
      if (gd.state !== 'running' || gd.current !== o.index) illegal(gd, event);
      const label = stepLabel(gd, o.index);
      if (stopsGameDay(o)) {
        const reason = `${label} ended ${o.state}, verdict ${o.verdict ?? 'none'}${o.summary ? `: ${o.summary}` : ''}`;
        return next({ steps, current: null, state: 'aborted', closedBy: { by: SYSTEM, at: now, reason }, endedAt: now }, [
          notify('danger', `${reason}. The game day stops here; later steps will not run.`),
          { type: 'write-report' },
        ]);
      }
      const after = o.index + 1;
      if (after >= gd.steps.length) {
        // A hold typed during the last step has no checkpoint left to stop at; the decisions still show it.
        const held = holdAsked(gd, now);
        const decisions = held ? [...gd.decisions, { beforeStep: after, choice: 'hold' as const, by: held.by, at: held.at, reason: held.reason }] : gd.decisions;
        return next({ steps, current: null, next: after, state: 'completed', endedAt: now, holdRequested: false, decisions }, [
          notify('success', `${label} held. ${gd.steps.length === 1 ? 'The one step' : `All ${gd.steps.length} steps`} held; game day complete.`),
          { type: 'write-report' },
        ]);
      }
      const asked = holdAsked(gd, now);
      if (asked) {
        const decisions = [...gd.decisions, { beforeStep: after, choice: 'hold' as const, by: asked.by, at: asked.at, reason: asked.reason }];
        return next({ steps, next: after, current: null, state: 'held', holdReason: `held by ${actorLabel(asked.by)}: ${asked.reason}`, holdRequested: false, decisions }, [
          notify('warning', `${label} held. ${actorLabel(asked.by)} asked to hold (${asked.reason}): holding before ${stepLabel(gd, after)}; Continue when ready`),
          { type: 'checkpoint', beforeStep: after },
        ]);
      }
      const lost = commanderLost(gd, now);
      if (gd.autoContinue === 'whenHeld' && !lost) {
        return next({ steps, next: after, current: after, decisions: [...gd.decisions, { beforeStep: after, choice: 'auto', by: SYSTEM, at: now, reason: 'previous step held (autoContinue: whenHeld)' }] }, [
          notify('info', `${label} held; continuing to ${stepLabel(gd, after)} (autoContinue: whenHeld)`),
          { type: 'start-step', index: after },
        ]);
      }
      if (gd.autoContinue === 'whenHeld' && lost) {
        const why = `the commander has not been seen for ${formatDuration(now - gd.commanderSeenAt)} (limit ${formatDuration(gd.commanderTimeoutMs)})`;
        return next({ steps, next: after, current: null, state: 'held', holdReason: why }, [
          notify('warning', `${label} held, but ${why}: holding before ${stepLabel(gd, after)}`),
          { type: 'checkpoint', beforeStep: after },
        ]);
      }
      return next({ steps, next: after, current: null, state: 'checkpoint' }, [{ type: 'checkpoint', beforeStep: after }]);
    }
    case 'interrupt': {
      if (gd.state !== 'running') illegal(gd, event);
      // A step cut off mid-run is reverted by the experiment reconcile; its end is recorded here, then the report.
      const effects: GameDayEffect[] = [notify('danger', `game day interrupted: ${event.reason}. Nothing more will run; start it again when ready.`)];
      if (!event.stepInFlight) effects.push({ type: 'write-report' });
      const steps = event.outcome ? withStep(event.outcome) : gd.steps;
      return next({ steps, current: event.stepInFlight ? gd.current : null, state: 'interrupted', closedBy: { by: SYSTEM, at: now, reason: event.reason }, endedAt: now }, effects);
    }
    case 'commander-seen': {
      if (isGameDayTerminal(gd.state)) return { state: gd, effects: [] };
      return next({ commanderSeenAt: now });
    }
  }
  return illegal(gd, event);
}
