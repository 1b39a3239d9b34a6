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
  within: z.array(z.string()).optional(),
});

/** What a plan targets as its adapter names it (see TargetScope in ports.ts). */
export const TargetScopeSchema = z.object({
  cluster: z.string().optional(),
  namespace: z.string().optional(),
  kind: z.string(),
  selection: z.string(),
});

/** A fault that went in only in part (see PartialApplication in ports.ts). */
export const PartialApplication = z.object({
  applied: z.number().int().min(0),
  intended: z.number().int().min(0),
  unit: z.string().default('targets'),
  action: z.string().default('applied'),
  reason: z.string(),
});
export type PartialApplication = z.infer<typeof PartialApplication>;

/** "2 of 5 pods not evicted: PodDisruptionBudget cart-pdb" */
export function partialMissed(p: PartialApplication): string {
  return `${p.intended - p.applied} of ${p.intended} ${p.unit} not ${p.action}: ${p.reason}`;
}

/** "only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb)" */
export function partialApplied(p: PartialApplication): string {
  return `only ${p.applied} of ${p.intended} ${p.unit} ${p.action} (${p.reason})`;
}

/** A guardrail as the plan has it: what is watched, and when it breaks. */
export const PlanGuardrail = z.object({
  name: z.string(),
  signal: z.string(),
  /** The guardrail breaks when `reading <comparison> threshold` holds for `forMs`. */
  comparison: z.string(),
  threshold: z.number(),
  forMs: z.number(),
  maxUnknown: z.number(),
  /** Absent in plans made before the time limit existed: the engine default applies. */
  blindAfterMs: z.number().optional(),
});
export type PlanGuardrail = z.infer<typeof PlanGuardrail>;

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
  guardrails: z.array(PlanGuardrail),
  steadyState: z.array(z.object({ name: z.string(), signal: z.string(), comparison: z.string(), threshold: z.number() })),
  seed: z.number().int(),
  /** What the targets are, as the adapter names them (cluster, namespace, kind, which). */
  scope: TargetScopeSchema.optional(),
  /** What the caps' percent was measured against, when more than the candidates (every node of the cluster). */
  population: z.number().int().optional(),
  /** What else the fault touches, for the card (a drain's pods, per namespace); not covered by the plan hash. */
  impact: z.array(z.string()).optional(),
});
export type Plan = z.infer<typeof Plan>;

export const Approval = z.object({ by: Actor, at: z.number(), planHash: z.string(), expiresAt: z.number() });
export type Approval = z.infer<typeof Approval>;

export const AbortInfo = z.object({
  by: Actor,
  at: z.number(),
  reason: z.string(),
  code: z.enum(['manual', 'halt', 'guardrail_breach', 'guardrail_blind', 'incident', 'shutdown', 'recovered', 'steady_state_failed', 'preflight_failed', 'fault_ended', 'error']),
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
  /** Set when the target applied only part of the fault: the run cannot end "held". */
  partial: PartialApplication.optional(),
  updatedAt: z.number(),
  /** Set when the run is one step of a game day. */
  /** `blinded`: a step of a blinded drill (what runs is not told outside its game day's thread). */
  gameDay: z.object({ id: z.string(), step: z.number().int().min(0), blinded: z.boolean().optional() }).optional(),
  /** Set when a schedule proposed the run. */
  scheduleId: z.string().optional(),
});
export type ExperimentRecord = z.infer<typeof ExperimentRecord>;

export function isTerminal(state: ExperimentState): boolean {
  return TERMINAL_STATES.includes(state);
}
