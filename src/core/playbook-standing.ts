import { z } from 'zod';
import { Actor, actorName, type Actor as ActorT } from './actor.js';
import { shortHash } from './plan-hash.js';
import { standingLength, type StandingStatus } from './schedule-standing.js';
import { SelectorOverride } from './schedule.js';

/**
 * A standing approval of a playbook for pipeline runs (`faultline run`): an approver said "runs of
 * this playbook, as it is now (and on these targets), may start without asking me again", until
 * `expiresAt`. It binds to the spec's hash: an edit of the playbook, or a run that overrides
 * anything, is not covered.
 */
export const PlaybookStanding = z.object({
  playbook: z.string().min(1),
  selector: SelectorOverride.nullable(),
  by: Actor,
  grantedAt: z.number().int(),
  expiresAt: z.number().int(),
  specHash: z.string().min(1),
});
export type PlaybookStanding = z.infer<typeof PlaybookStanding>;

export interface PlaybookGrantInput {
  playbook: string;
  selector: Record<string, string> | null;
  actor: ActorT;
  approvers: readonly string[];
  forMs?: number;
  defaultMs: number;
  maxMs: number;
  specHash: string;
  now: number;
}

/** Grants it, or throws the coded refusal: only an approver grants, and never for longer than the maximum. */
export function grantPlaybookStanding(input: PlaybookGrantInput): PlaybookStanding {
  const forMs = standingLength(input, { playbook: input.playbook }, 'command_usage');
  return { playbook: input.playbook, selector: input.selector, by: input.actor, grantedAt: input.now, expiresAt: input.now + forMs, specHash: input.specHash };
}

/**
 * Whether `st` covers a run of the spec whose hash is `current` now, proposed by `proposer`. The
 * approver of a standing approval never runs under it as the proposer: four eyes hold.
 */
export function playbookStandingStatus(st: PlaybookStanding | null, current: { hash: string } | { error: string }, proposer: ActorT, now: number): StandingStatus {
  if (!st) return { ok: false, reason: null };
  const by = actorName(st.by);
  if (now >= st.expiresAt) return { ok: false, reason: `the standing approval by ${by} expired at ${new Date(st.expiresAt).toISOString()}` };
  if (proposer.id === st.by.id) return { ok: false, reason: `${by} granted the standing approval and cannot also be the one who runs it` };
  if ('error' in current) return { ok: false, reason: `the standing approval by ${by} cannot be checked: ${current.error}` };
  if (current.hash !== st.specHash) {
    return {
      ok: false,
      reason: `the playbook or this run's overrides differ from what ${by} approved (spec ${shortHash(st.specHash)} → ${shortHash(current.hash)}); it is not covered, approve it again`,
    };
  }
  return { ok: true, by: st.by, expiresAt: st.expiresAt };
}
