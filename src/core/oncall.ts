import { z } from 'zod';
import { Actor, actorLabel } from './actor.js';
import { formatDuration } from './duration.js';
import { FaultlineError } from './errors.js';

/*
 * The on-call handshake (`onCall: require`): before the first injection, the on-call of each linked
 * incident-system service is asked in the thread and by DM, and must acknowledge. Pure: the engine
 * (engine/guards/oncall-desk.ts) asks, waits and journals; these functions decide.
 */

/** How long the on-call has to acknowledge when a playbook or game day does not say (`onCallTimeout`). */
export const DEFAULT_ONCALL_TIMEOUT_MS = 10 * 60_000;

export const OnCallSetting = z.enum(['off', 'require']).describe('require: the on-call of each linked PagerDuty service must acknowledge before the first injection');
export type OnCallSetting = z.infer<typeof OnCallSetting>;

/** Someone on call for a linked service, and who they are in the chat (absent: no chat account found). */
export const OnCallPerson = z.object({
  serviceId: z.string().min(1),
  serviceName: z.string().optional(),
  /** The incident system's user id. */
  userId: z.string().min(1),
  name: z.string(),
  email: z.string().optional(),
  chatUser: z.string().min(1).optional(),
});
export type OnCallPerson = z.infer<typeof OnCallPerson>;

export const OnCallAck = z.object({ serviceId: z.string(), by: Actor, at: z.number() });
export type OnCallAck = z.infer<typeof OnCallAck>;

/** One handshake, as kept on the record and in the journal. */
export const OnCallHandshake = z.object({
  /** The experiment or game day it is for. */
  subject: z.string(),
  services: z.array(z.string()).min(1),
  asked: z.array(OnCallPerson),
  askedBy: Actor,
  askedAt: z.number(),
  deadline: z.number(),
  acks: z.array(OnCallAck),
  outcome: z.enum(['asking', 'acknowledged', 'unacknowledged', 'withdrawn']),
  endedAt: z.number().nullable(),
  /** Why it was withdrawn (the run was aborted or cancelled while asking). */
  reason: z.string().nullable().default(null),
});
export type OnCallHandshake = z.infer<typeof OnCallHandshake>;

const serviceLabel = (p: Pick<OnCallPerson, 'serviceId' | 'serviceName'>) => p.serviceName ?? p.serviceId;

/**
 * Checks that every linked service can be asked: somebody is on call there and has a chat account.
 * Throws `oncall_unreachable` naming each service that cannot, so nothing is asked of anyone.
 */
export function checkReachable(services: readonly string[], people: readonly OnCallPerson[]): void {
  const problems: string[] = [];
  for (const service of services) {
    const here = people.filter((p) => p.serviceId === service);
    if (here.length === 0) problems.push(`nobody is on call for service ${service}`);
    else if (!here.some((p) => p.chatUser)) problems.push(`the on-call of ${serviceLabel(here[0]!)} (${here.map((p) => p.email ?? p.name).join(', ')}) has no chat account with that email`);
  }
  if (problems.length) throw new FaultlineError('oncall_unreachable', `the on-call cannot be asked to acknowledge: ${problems.join('; ')}`, { services: [...services] });
}

/** Services nobody has acknowledged yet. */
export function unacknowledged(h: OnCallHandshake): string[] {
  return h.services.filter((s) => !h.acks.some((a) => a.serviceId === s));
}

/**
 * `actor` acknowledges every service they were asked for. Throws `oncall_not_asked` for anyone else,
 * `illegal_transition` once the handshake is over. One person on call for two services acknowledges both.
 */
export function acknowledge(h: OnCallHandshake, actor: Actor, now: number): { handshake: OnCallHandshake; services: string[] } {
  if (h.outcome !== 'asking') throw new FaultlineError('illegal_transition', `the on-call handshake of ${h.subject} is over (${h.outcome})`, { subject: h.subject, outcome: h.outcome });
  const mine = h.asked.filter((p) => p.chatUser === actor.id).map((p) => p.serviceId);
  if (mine.length === 0) {
    const who = [...new Set(h.asked.filter((p) => p.chatUser).map((p) => p.name))].join(', ');
    throw new FaultlineError('oncall_not_asked', `only the on-call asked can acknowledge ${h.subject} (${who}); ${actorLabel(actor)} was not asked`, { subject: h.subject, actor: actor.id });
  }
  const fresh = [...new Set(mine)].filter((s) => !h.acks.some((a) => a.serviceId === s));
  const acks = [...h.acks, ...fresh.map((serviceId) => ({ serviceId, by: actor, at: now }))];
  const done = h.services.every((s) => acks.some((a) => a.serviceId === s));
  return { handshake: { ...h, acks, ...(done ? { outcome: 'acknowledged' as const, endedAt: now } : {}) }, services: fresh };
}

/** The handshake ran out of time without every service acknowledged. */
export function timeOut(h: OnCallHandshake, now: number): OnCallHandshake {
  return h.outcome === 'asking' ? { ...h, outcome: 'unacknowledged', endedAt: now } : h;
}

export function withdraw(h: OnCallHandshake, now: number, reason: string): OnCallHandshake {
  return h.outcome === 'asking' ? { ...h, outcome: 'withdrawn', endedAt: now, reason } : h;
}

/** The refusal a timed-out handshake gives the start. */
export function unacknowledgedError(h: OnCallHandshake, timeoutMs: number): FaultlineError {
  const missing = unacknowledged(h).map((s) => {
    const people = h.asked.filter((p) => p.serviceId === s).map((p) => p.name);
    return `${serviceLabel(h.asked.find((p) => p.serviceId === s) ?? { serviceId: s })} (${people.join(', ') || 'nobody'})`;
  });
  return new FaultlineError('oncall_unacknowledged', `start refused: the on-call did not acknowledge within ${formatDuration(timeoutMs)}: ${missing.join('; ')}`, {
    subject: h.subject,
    services: unacknowledged(h),
  });
}

/** One line per service for reports: who was asked, who acknowledged and after how long. */
export function handshakeLines(h: OnCallHandshake): string[] {
  return h.services.map((s) => {
    const asked = h.asked.filter((p) => p.serviceId === s);
    const label = serviceLabel(asked[0] ?? { serviceId: s });
    const ack = h.acks.find((a) => a.serviceId === s);
    const names = asked.map((p) => p.name).join(', ') || 'nobody';
    return ack ? `${label}: ${names} asked; acknowledged by ${actorLabel(ack.by)} after ${formatDuration(Math.max(0, ack.at - h.askedAt))}` : `${label}: ${names} asked; not acknowledged`;
  });
}

export function handshakeOutcomeText(h: OnCallHandshake): string {
  switch (h.outcome) {
    case 'acknowledged':
      return 'acknowledged';
    case 'unacknowledged':
      return `not acknowledged within ${formatDuration(Math.max(0, h.deadline - h.askedAt))}: start refused`;
    case 'withdrawn':
      return `withdrawn${h.reason ? ` (${h.reason})` : ''}`;
    default:
      return 'waiting';
  }
}
