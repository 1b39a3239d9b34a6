import { z } from 'zod';

/** Who did something. Identity is the signed chat user id (plus team), never a display name. */
export const Actor = z.object({
  id: z.string().min(1),
  team: z.string().optional(),
  name: z.string().optional(),
});
export type Actor = z.infer<typeof Actor>;

/** The bot itself, for what it does on its own (guardrail aborts, reconcile, expiry). */
export const SYSTEM: Actor = { id: 'faultline', name: 'Faultline' };

export function sameActor(a: Actor, b: Actor): boolean {
  return a.id === b.id && (a.team ?? '') === (b.team ?? '');
}

export function actorLabel(a: Actor): string {
  return a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id;
}
