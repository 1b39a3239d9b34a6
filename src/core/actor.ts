import { z } from 'zod';
import { mentionUser } from './mention.js';

/** Who did something. Identity is the signed chat user id (plus team), never a display name. */
export const Actor = z.object({
  id: z.string().min(1),
  team: z.string().optional(),
  name: z.string().optional(),
});
export type Actor = z.infer<typeof Actor>;

/** The bot itself, for what it does on its own (guardrail aborts, reconcile, expiry). */
export const SYSTEM: Actor = { id: 'faultline', name: 'Faultline' };

/**
 * Whether two actors are the same person: the same user id. Slack user ids are global (on
 * Enterprise Grid one person has one id in every workspace), so the team never makes one id two
 * people; a `TEAM/USER` approver pin only narrows who may approve (see `isApprover`).
 */
export function sameActor(a: Actor, b: Actor): boolean {
  return a.id === b.id;
}

/** "bob (UBOB)", or the id alone: for files, logs and error details, where nobody can be mentioned. */
export function actorName(a: Actor): string {
  return a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id;
}

/** A person in chat text: a mention in Slack, `actorName` elsewhere (mention.ts). The bot is never a mention. */
export function actorLabel(a: Actor): string {
  return a.id === SYSTEM.id ? actorName(a) : mentionUser(a.id, actorName(a));
}
