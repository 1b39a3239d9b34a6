import { z } from 'zod';
import { formatDuration } from './duration.js';

/*
 * A blinded drill's detection record: when the fault went in, what the responders saw first (an
 * alert from the incident system, or a person's message in their channel), how long detection and
 * acknowledgement took, and each expected alert against what fired. Pure: the engine gathers the
 * incidents and messages (engine/gamedays/gameday-drill.ts).
 */

/** An incident on a linked service, as learned from the incident system. */
export const DrillIncident = z.object({
  id: z.string(),
  title: z.string(),
  serviceId: z.string(),
  createdAt: z.number(),
  acknowledgedAt: z.number().nullable(),
  url: z.string().optional(),
});
export type DrillIncident = z.infer<typeof DrillIncident>;

/** A person's message in the responders' channel. */
export const DrillMessage = z.object({ user: z.string(), text: z.string(), at: z.number() });
export type DrillMessage = z.infer<typeof DrillMessage>;

export const DrillSignal = z.object({
  kind: z.enum(['alert', 'message']),
  at: z.number(),
  /** Who noticed: the message's author; for an alert, the incident system paged (nobody by name). */
  who: z.string().nullable(),
  /** The alert's title and service, or the message's text. */
  what: z.string(),
});
export type DrillSignal = z.infer<typeof DrillSignal>;

export const DrillDetection = z.object({
  /** The first injection of the drill; null when no fault went in. */
  injectedAt: z.number().nullable(),
  endedAt: z.number(),
  firstSignal: DrillSignal.nullable(),
  timeToDetectMs: z.number().nullable(),
  /** From the incident system: the first acknowledgement of an incident opened during the drill. */
  timeToAcknowledgeMs: z.number().nullable(),
  /** From the responders' channel: their first message after the injection. */
  firstResponseMs: z.number().nullable(),
  firstResponder: z.string().nullable(),
  expected: z.array(z.object({ alert: z.string(), firedAt: z.number().nullable(), incident: z.string().nullable() })),
  /** Incidents that fired but no expected alert names. */
  unexpected: z.array(z.string()),
  incidents: z.array(DrillIncident),
  /** Whether the chat could say what was written in the responders' channel. */
  messagesKnown: z.boolean(),
  /** Why not, when it could not. */
  messagesNote: z.string().nullable(),
});
export type DrillDetection = z.infer<typeof DrillDetection>;

/** What a blinded game day keeps on its record. */
export const DrillRecord = z.object({
  respondersChannel: z.string(),
  /** The chat's id for that channel, once a post there answered with it (Slack reads history by id only). */
  respondersChannelId: z.string().optional(),
  responders: z.array(z.string()),
  expectedAlerts: z.array(z.string()),
  announcedAt: z.number().nullable(),
  revealedAt: z.number().nullable(),
  detection: DrillDetection.nullable(),
});
export type DrillRecord = z.infer<typeof DrillRecord>;

const matches = (title: string, alert: string) => title.toLowerCase().includes(alert.toLowerCase());

export interface DetectionInput {
  injectedAt: number | null;
  endedAt: number;
  incidents: readonly DrillIncident[];
  /** Every message in the responders' channel over the drill; null when the chat cannot tell. */
  messages: readonly DrillMessage[] | null;
  messagesNote?: string;
  responders: readonly string[];
  expectedAlerts: readonly string[];
}

/** The detection record: only what happened after the first injection and before the end counts. */
export function detectionRecord(input: DetectionInput): DrillDetection {
  const from = input.injectedAt;
  const inWindow = (at: number) => from !== null && at >= from && at <= input.endedAt;
  const incidents = input.incidents.filter((i) => inWindow(i.createdAt)).sort((a, b) => a.createdAt - b.createdAt);
  const people = new Set(input.responders);
  const messages = (input.messages ?? []).filter((m) => inWindow(m.at) && (people.size === 0 || people.has(m.user))).sort((a, b) => a.at - b.at);
  const firstAlert = incidents[0];
  const firstMessage = messages[0];
  const candidates: DrillSignal[] = [];
  if (firstAlert) candidates.push({ kind: 'alert', at: firstAlert.createdAt, who: null, what: `${firstAlert.title} (${firstAlert.serviceId})` });
  if (firstMessage) candidates.push({ kind: 'message', at: firstMessage.at, who: firstMessage.user, what: firstMessage.text });
  const firstSignal = candidates.sort((a, b) => a.at - b.at)[0] ?? null;
  const acks = incidents.flatMap((i) => (i.acknowledgedAt !== null ? [i.acknowledgedAt] : []));
  const since = (at: number | undefined) => (at !== undefined && from !== null ? Math.max(0, at - from) : null);
  return {
    injectedAt: from,
    endedAt: input.endedAt,
    firstSignal,
    timeToDetectMs: since(firstSignal?.at),
    timeToAcknowledgeMs: since(acks.length ? Math.min(...acks) : undefined),
    firstResponseMs: since(firstMessage?.at),
    firstResponder: firstMessage?.user ?? null,
    expected: input.expectedAlerts.map((alert) => {
      const hit = incidents.find((i) => matches(i.title, alert));
      return { alert, firedAt: hit?.createdAt ?? null, incident: hit?.title ?? null };
    }),
    unexpected: incidents.filter((i) => !input.expectedAlerts.some((a) => matches(i.title, a))).map((i) => i.title),
    incidents,
    messagesKnown: input.messages !== null,
    messagesNote: input.messages === null ? (input.messagesNote ?? 'this chat cannot read the channel back') : null,
  };
}

const after = (ms: number | null) => (ms === null ? '—' : `T+${formatDuration(ms)}`);

/** The detection record as lines, for the reveal in chat and the report. `name` labels a chat user. */
export function detectionLines(d: DrillDetection, name: (user: string) => string): string[] {
  if (d.injectedAt === null) return ['No fault went in: there was nothing to detect.'];
  const first = d.firstSignal
    ? d.firstSignal.kind === 'alert'
      ? `First signal: alert “${d.firstSignal.what}” at ${after(d.timeToDetectMs)}`
      : `First signal: ${name(d.firstSignal.who!)} in the responders' channel at ${after(d.timeToDetectMs)}: “${d.firstSignal.what}”`
    : 'Nobody noticed: no alert fired and no responder wrote in their channel during the drill.';
  const lines = [
    first,
    `Time to detect: ${d.timeToDetectMs === null ? 'not detected' : formatDuration(d.timeToDetectMs)} · to acknowledge (PagerDuty): ${d.timeToAcknowledgeMs === null ? 'not acknowledged' : formatDuration(d.timeToAcknowledgeMs)} · first responder message: ${
      d.messagesKnown ? (d.firstResponseMs === null ? 'none' : `${formatDuration(d.firstResponseMs)}${d.firstResponder ? ` (${name(d.firstResponder)})` : ''}`) : `unknown (${d.messagesNote})`
    }`,
  ];
  for (const e of d.expected) lines.push(e.firedAt !== null ? `Expected alert “${e.alert}”: fired at ${after(e.firedAt - d.injectedAt)} (${e.incident})` : `Expected alert “${e.alert}”: did not fire`);
  if (d.unexpected.length) lines.push(`Also fired, not expected: ${d.unexpected.map((t) => `“${t}”`).join(', ')}`);
  return lines;
}
