import { z } from 'zod';
import type { StoredEvent } from '../../store/index.js';

/** The fields of a journaled event that a post-mortem reads (the chain's hashes are not among them). */
export type PostmortemEvent = Omit<StoredEvent, 'prevHash' | 'hash'>;

/*
 * The `data` of each event kind as the engine writes it. Parsed leniently (extra fields are
 * ignored): a malformed event is still shown in the timeline, just as raw data.
 */
const Text = z.string();
const Num = z.number().nullish();
const CheckResults = z.object({ results: z.array(z.object({ name: Text, passed: z.boolean(), detail: Text.default(''), value: Num })) });

export const EventData = {
  proposed: z.object({
    planHash: Text,
    seed: z.number().nullish(),
    targets: z.array(z.object({ id: Text, name: Text })).default([]),
    candidates: z.number().nullish(),
  }),
  transition: z.object({ event: Text, from: Text, to: Text, reason: Text.nullish() }),
  refused: z.object({ command: Text, code: Text, message: Text }),
  precheck: CheckResults,
  preflight: z.object({ guardrails: z.array(z.object({ name: Text, passed: z.boolean(), detail: Text.default(''), value: Num })) }),
  postcheck: CheckResults,
  reading: z.object({
    results: z.array(z.object({ name: Text, status: z.enum(['ok', 'pending', 'breach', 'blind']), value: Num, detail: Text.default('') })),
  }),
  breach: z.object({ guardrail: Text, status: z.enum(['breach', 'blind']), detail: Text.default('') }),
  'inject-intent': z.object({ handleId: Text, adapter: Text, faultType: Text, targets: z.array(Text).default([]), expiresAt: z.number() }),
  injected: z.object({ handleId: Text }),
  'inject-failed': z.object({ handleId: Text.nullish(), error: Text }),
  'revert-started': z.object({ handleId: Text, reason: Text.default('') }),
  reverted: z.object({ handleId: Text }),
  'revert-failed': z.object({ handleId: Text.nullish(), error: Text }),
  'reconcile-revert': z.object({ handleId: Text, adapter: Text.nullish(), faultType: Text.nullish(), confirmed: z.boolean().nullish(), differences: z.array(Text).default([]) }),
  'revert-confirmed': z.object({ handleId: Text }),
  'revert-unconfirmed': z.object({ handleId: Text, differences: z.array(Text).default([]), manualSteps: z.array(Text).default([]) }),
  'inject-late': z.object({ handleId: Text, outcome: z.enum(['applied', 'failed']), error: Text.nullish() }),
  abort: z.object({ reason: Text, code: Text }),
  verdict: z.object({ state: Text, verdict: Text.nullish() }),
  postmortem: z.object({ path: Text }),
} as const;

export type EventKind = keyof typeof EventData;
export type EventDataOf<K extends EventKind> = z.infer<(typeof EventData)[K]>;
export type CheckResultData = EventDataOf<'precheck'>['results'][number];

/** The event's data parsed for its kind, or undefined when the kind differs or the data is malformed. */
export function dataOf<K extends EventKind>(event: PostmortemEvent, kind: K): EventDataOf<K> | undefined {
  if (event.kind !== kind) return undefined;
  const parsed = EventData[kind].safeParse(event.data);
  return parsed.success ? (parsed.data as EventDataOf<K>) : undefined;
}

/** All events of one kind with parsed data, oldest first, malformed ones skipped. */
export function eventsOf<K extends EventKind>(events: readonly PostmortemEvent[], kind: K): Array<{ event: PostmortemEvent; data: EventDataOf<K> }> {
  const out: Array<{ event: PostmortemEvent; data: EventDataOf<K> }> = [];
  for (const event of events) {
    const data = dataOf(event, kind);
    if (data) out.push({ event, data });
  }
  return out;
}

/** Oldest first, by time then journal sequence; never mutates the input. */
export function chronological(events: readonly PostmortemEvent[]): PostmortemEvent[] {
  return [...events].sort((a, b) => a.at - b.at || a.seq - b.seq);
}
