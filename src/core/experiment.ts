import { z } from 'zod';
import { Actor } from './actor.js';

export const ExperimentState = z.enum([
  'proposed',
  'approved',
  'running',
  'completed',
  'aborted',
  'failed',
  'rejected',
  'expired',
  'cancelled',
]);
export type ExperimentState = z.infer<typeof ExperimentState>;

export const TERMINAL_STATES: readonly ExperimentState[] = ['completed', 'aborted', 'failed', 'rejected', 'expired', 'cancelled'];

export const RunPhase = z.enum(['prechecking', 'injecting', 'observing', 'reverting', 'postchecking']);
export type RunPhase = z.infer<typeof RunPhase>;

export const Verdict = z.enum(['held', 'refuted', 'inconclusive']);
export type Verdict = z.infer<typeof Verdict>;

export const ResolvedTargetSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  attributes: z.record(z.string(), z.string()),
});

/** Exactly what an approval covers: hashed, and re-resolved at start. */
export const Plan = z.object({
  experiment: z.string(),
  adapter: z.string(),
  selector: z.record(z.string(), z.string()),
  blastRadius: z.string(),
  candidates: z.number().int(),
  targets: z.array(ResolvedTargetSchema),
  fault: z.object({ type: z.string(), parameters: z.record(z.string(), z.unknown()) }),
  durationMs: z.number().int().positive(),
  guardrails: z.array(
    z.object({
      name: z.string(),
      signal: z.string(),
      comparison: z.string(),
      threshold: z.number(),
      forMs: z.number(),
      maxUnknown: z.number(),
      /** Absent in plans made before the time limit existed: the engine default applies. */
      blindAfterMs: z.number().optional(),
    }),
  ),
  steadyState: z.array(z.object({ name: z.string(), signal: z.string(), comparison: z.string(), threshold: z.number() })),
  seed: z.number().int(),
});
export type Plan = z.infer<typeof Plan>;

export const Approval = z.object({ by: Actor, at: z.number(), planHash: z.string(), expiresAt: z.number() });
export type Approval = z.infer<typeof Approval>;

export const AbortInfo = z.object({
  by: Actor,
  at: z.number(),
  reason: z.string(),
  code: z.enum(['manual', 'halt', 'guardrail_breach', 'guardrail_blind', 'incident', 'shutdown', 'recovered', 'steady_state_failed', 'preflight_failed', 'error']),
});
export type AbortInfo = z.infer<typeof AbortInfo>;

/** The experiment as the core sees it: everything needed to decide the next transition. */
export const ExperimentRecord = z.object({
  id: z.string(),
  name: z.string(),
  channel: z.string(),
  state: ExperimentState,
  phase: RunPhase.nullable(),
  verdict: Verdict.nullable(),
  plan: Plan,
  planHash: z.string(),
  proposedBy: Actor,
  proposedAt: z.number(),
  approval: Approval.nullable(),
  closedBy: z.object({ by: Actor, at: z.number(), reason: z.string() }).nullable(),
  startedBy: Actor.nullable(),
  startedAt: z.number().nullable(),
  injectedAt: z.number().nullable(),
  endsAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  abort: AbortInfo.nullable(),
  failure: z.string().nullable(),
  updatedAt: z.number(),
  /** Set when the run is one step of a game day. */
  gameDay: z.object({ id: z.string(), step: z.number().int().min(0) }).optional(),
  /** Set when a schedule proposed the run. */
  scheduleId: z.string().optional(),
});
export type ExperimentRecord = z.infer<typeof ExperimentRecord>;

export function isTerminal(state: ExperimentState): boolean {
  return TERMINAL_STATES.includes(state);
}
