import { z } from 'zod';
import { compare, formatNumber } from '../../core/guardrails.js';
import { PlanGuardrail, type Plan } from '../../core/experiment.js';
import { Comparison } from '../../core/playbook.js';
import { eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { isoUtc } from '../report-format.js';

/*
 * The steady-state checks and guardrails of one run as the journal holds them: the `precheck`,
 * `postcheck`, `preflight`, `reading` and `breach` events, parsed with the post-mortem's event
 * schemas. Times are ISO 8601 UTC.
 */

/** One reading of a steady-state check: `ok` when it met the check (an unknown reading never does). */
export const CheckReading = z.object({
  at: z.string(),
  value: z.number().nullable(),
  ok: z.boolean(),
  detail: z.string(),
});
export type CheckReading = z.infer<typeof CheckReading>;

export const SteadyStateCheck = z.object({
  name: z.string(),
  /** The signal as the plan describes it (`prometheus:…`, `http:…`). */
  signal: z.string(),
  /** The check passes when `reading <comparison> threshold`. */
  comparison: z.string(),
  threshold: z.number(),
  /** Sampled once before the fault went in (with the pre-flight); null when the run never got that far. */
  before: CheckReading.nullable(),
  /**
   * While the fault was in, the engine samples only the guardrails: these are the readings of a
   * guardrail on the same signal, judged by this check's rule; empty when no guardrail shares it.
   */
  during: z.array(CheckReading),
  /** The post-check after the revert (its last try); null when there was none. */
  after: CheckReading.nullable(),
  /** As the engine judged the check: every reading before and after met it; null when it was never sampled. */
  ok: z.boolean().nullable(),
});
export type SteadyStateCheck = z.infer<typeof SteadyStateCheck>;

export const GuardrailStatus = z.enum(['ok', 'pending', 'breach', 'blind']);
export type GuardrailStatus = z.infer<typeof GuardrailStatus>;

/** One guardrail round: `value` is null when the reading was unknown. */
export const GuardrailReading = z.object({
  at: z.string(),
  value: z.number().nullable(),
  status: GuardrailStatus,
  detail: z.string(),
});
export type GuardrailReading = z.infer<typeof GuardrailReading>;

export const GuardrailBreach = z.object({
  /** `breach`: the abort condition held for the `for` window; `blind`: too many unknown readings. */
  status: z.enum(['breach', 'blind']),
  /** When the engine called it (the journaled breach). */
  at: z.string(),
  detail: z.string(),
  /** The unbroken run of readings that led to it, the breaking one last. */
  readings: z.array(GuardrailReading),
});
export type GuardrailBreach = z.infer<typeof GuardrailBreach>;

/** The plan's guardrail (what was watched and its rule), with what it read. */
export const GuardrailResult = PlanGuardrail.pick({ name: true, signal: true, comparison: true, threshold: true, forMs: true, maxUnknown: true }).extend({
  /** The one sample before the fault went in; a failed one refused the start. */
  preflight: CheckReading.nullable(),
  /** The rounds while the fault was in. */
  readings: z.object({
    count: z.number().int().min(0),
    unknown: z.number().int().min(0),
    min: z.number().nullable(),
    max: z.number().nullable(),
    last: z.number().nullable(),
    /** The worst status any round reached; null when there was no round. */
    worst: GuardrailStatus.nullable(),
  }),
  breached: z.boolean(),
  blind: z.boolean(),
  breach: GuardrailBreach.nullable(),
});
export type GuardrailResult = z.infer<typeof GuardrailResult>;

type CheckResultEvent = { event: PostmortemEvent; data: { results: Array<{ name: string; passed: boolean; detail: string; value?: number | null | undefined }> } };

const numberOrNull = (v: number | null | undefined): number | null => (typeof v === 'number' ? v : null);

function checkReading(found: CheckResultEvent | undefined, name: string): CheckReading | null {
  const r = found?.data.results.find((x) => x.name === name);
  if (!found || !r) return null;
  return { at: isoUtc(found.event.at), value: numberOrNull(r.value), ok: r.passed, detail: r.detail };
}

/** When the round was sampled (journaled with the reading), else when it was journaled. */
function sampledAt(event: PostmortemEvent): number {
  const s = (event.data as { sampledAt?: unknown } | null)?.sampledAt;
  return typeof s === 'number' ? s : event.at;
}

/** Every round of the guardrail `name`, oldest first. */
function roundsOf(events: readonly PostmortemEvent[], name: string): Array<GuardrailReading & { atMs: number }> {
  return eventsOf(events, 'reading').flatMap(({ event, data }) =>
    data.results
      .filter((r) => r.name === name)
      .map((r) => {
        const atMs = sampledAt(event);
        return { atMs, at: isoUtc(atMs), value: r.status === 'blind' ? null : numberOrNull(r.value), status: r.status, detail: r.detail };
      }),
  );
}

const strip = ({ atMs: _atMs, ...reading }: GuardrailReading & { atMs: number }): GuardrailReading => reading;

/** Each steady-state check of the plan with its readings before, during and after the fault. */
export function steadyStateChecks(plan: Plan, events: readonly PostmortemEvent[]): SteadyStateCheck[] {
  const pre = eventsOf(events, 'precheck')[0];
  const post = eventsOf(events, 'postcheck').at(-1);
  return plan.steadyState.map((c) => {
    const rule = Comparison.safeParse(c.comparison);
    const before = checkReading(pre, c.name);
    const after = checkReading(post, c.name);
    const shared = plan.guardrails.find((g) => g.signal === c.signal);
    const during =
      shared && rule.success
        ? roundsOf(events, shared.name).map((r) => {
            const ok = r.value !== null && compare(r.value, rule.data, c.threshold);
            const detail = r.value === null ? r.detail : `${formatNumber(r.value)} ${ok ? 'meets' : 'fails'} ${rule.data} ${formatNumber(c.threshold)}`;
            return { at: r.at, value: r.value, ok, detail };
          })
        : [];
    const sampled = [before, after].filter((r): r is CheckReading => r !== null);
    return { name: c.name, signal: c.signal, comparison: c.comparison, threshold: c.threshold, before, during, after, ok: sampled.length === 0 ? null : sampled.every((r) => r.ok) };
  });
}

const RANK: Record<GuardrailStatus, number> = { ok: 0, pending: 1, blind: 2, breach: 3 };

/** Each guardrail of the plan: its pre-flight sample, a summary of its rounds, and the breach if it broke. */
export function guardrailResults(plan: Plan, events: readonly PostmortemEvent[]): GuardrailResult[] {
  const preflight = eventsOf(events, 'preflight')[0];
  const breaches = eventsOf(events, 'breach');
  return plan.guardrails.map((g) => {
    const rounds = roundsOf(events, g.name);
    const values = rounds.map((r) => r.value).filter((v): v is number => v !== null);
    const p = preflight?.data.guardrails.find((r) => r.name === g.name);
    const found = breaches.find(({ data }) => data.guardrail === g.name);
    let breach: GuardrailBreach | null = null;
    if (found) {
      // The rounds up to the breach, back to the last one that was fine: what broke it.
      const upTo = rounds.filter((r) => r.atMs <= found.event.at);
      const lastOk = upTo.map((r) => r.status).lastIndexOf('ok');
      breach = { status: found.data.status, at: isoUtc(found.event.at), detail: found.data.detail, readings: upTo.slice(lastOk + 1).map(strip) };
    }
    return {
      name: g.name,
      signal: g.signal,
      comparison: g.comparison,
      threshold: g.threshold,
      forMs: g.forMs,
      maxUnknown: g.maxUnknown,
      preflight: preflight && p ? { at: isoUtc(preflight.event.at), value: numberOrNull(p.value), ok: p.passed, detail: p.detail } : null,
      readings: {
        count: rounds.length,
        unknown: rounds.length - values.length,
        min: values.length > 0 ? Math.min(...values) : null,
        max: values.length > 0 ? Math.max(...values) : null,
        last: values.at(-1) ?? null,
        worst: rounds.reduce<GuardrailStatus | null>((w, r) => (w === null || RANK[r.status] > RANK[w] ? r.status : w), null),
      },
      breached: found?.data.status === 'breach',
      blind: found?.data.status === 'blind',
      breach,
    };
  });
}
