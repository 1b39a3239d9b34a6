import { actorName, sameActor, type Actor } from './actor.js';
import { isApprover } from './approval.js';
import { formatDuration } from './duration.js';
import { FaultlineError } from './errors.js';
import { shortHash } from './plan-hash.js';
import type { Schedule, StandingApproval } from './schedule.js';

export interface GrantInput {
  actor: Actor;
  approvers: readonly string[];
  /** Asked-for length; the default when absent. */
  forMs?: number;
  defaultMs: number;
  maxMs: number;
  /** The hash of the schedule's candidate specs as they are now. */
  specHash: string;
  now: number;
}

/**
 * Grants a standing approval, or throws the coded refusal: only approvers grant, never the
 * schedule's own creator (four eyes), never on a removed schedule, never longer than the maximum.
 */
export function grantStanding(s: Schedule, input: GrantInput): StandingApproval {
  if (s.state === 'removed') throw new FaultlineError('illegal_transition', `schedule ${s.id} is removed; add a new one`, { scheduleId: s.id });
  if (sameActor(s.createdBy, input.actor)) {
    throw new FaultlineError('approval_self', `${input.actor.id} created schedule ${s.id} and cannot give it a standing approval; a second person must`, {
      scheduleId: s.id,
      actor: input.actor.id,
    });
  }
  const forMs = standingLength(input, { scheduleId: s.id }, 'schedule_invalid');
  return { by: input.actor, grantedAt: input.now, expiresAt: input.now + forMs, specHash: input.specHash };
}

/**
 * The checks every standing approval passes (a schedule's, a playbook's): granted by an approver,
 * and no longer than the maximum. Returns its length; throws the coded refusal, `where` in its details.
 */
export function standingLength(
  input: Pick<GrantInput, 'actor' | 'approvers' | 'forMs' | 'defaultMs' | 'maxMs'>,
  where: Record<string, unknown>,
  tooLong: 'schedule_invalid' | 'command_usage',
): number {
  if (!isApprover(input.actor, input.approvers)) {
    throw new FaultlineError('approval_not_approver', `${input.actor.id} is not an approver; approvers are: ${input.approvers.join(', ') || '(none configured)'}`, {
      ...where,
      actor: input.actor.id,
    });
  }
  const forMs = input.forMs ?? input.defaultMs;
  if (forMs > input.maxMs) {
    throw new FaultlineError(tooLong, `for: a standing approval lasts at most ${formatDays(input.maxMs)} (schedules.standingApprovalMax); asked for ${formatDays(forMs)}`, {
      field: 'for',
      maxMs: input.maxMs,
    });
  }
  return forMs;
}

export type StandingStatus = { ok: true; by: Actor; expiresAt: number } | { ok: false; reason: string | null };

/**
 * Whether the standing approval covers a run now. `current` is the spec hash as it is now, or why it
 * could not be computed (a playbook gone). Not ok with reason null: there never was one.
 */
export function standingStatus(s: Pick<Schedule, 'standing'>, current: { hash: string } | { error: string }, now: number): StandingStatus {
  const st = s.standing;
  if (!st) return { ok: false, reason: null };
  // Kept in the schedule's run history, so plain text rather than a mention.
  const by = actorName(st.by);
  if (now >= st.expiresAt) return { ok: false, reason: `the standing approval by ${by} expired at ${new Date(st.expiresAt).toISOString()}` };
  if ('error' in current) return { ok: false, reason: `the standing approval by ${by} cannot be checked: ${current.error}` };
  if (current.hash !== st.specHash) {
    return { ok: false, reason: `a playbook changed since the standing approval by ${by} (spec ${shortHash(st.specHash)} → ${shortHash(current.hash)}); it is void, approve the schedule again` };
  }
  return { ok: true, by: st.by, expiresAt: st.expiresAt };
}

export function formatDays(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const rest = ms - days * 86_400_000;
  return days > 0 ? `${days}d${rest > 0 ? formatDuration(rest) : ''}` : formatDuration(ms);
}
