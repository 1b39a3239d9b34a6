import { z } from 'zod';
import { Actor, SYSTEM } from '../../core/actor.js';
import { ExperimentState, partialApplied, RunPhase, Verdict, type ExperimentRecord } from '../../core/experiment.js';
import { chronological, eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { isoUtc } from '../report-format.js';
import { GuardrailResult, guardrailResults, SteadyStateCheck, steadyStateChecks } from './run-result-checks.js';
import { RevertReceipt, revertReceipts } from './run-result-reverts.js';

export { CheckReading, GuardrailBreach, GuardrailReading, GuardrailResult, GuardrailStatus, SteadyStateCheck } from './run-result-checks.js';
export { RevertReceipt } from './run-result-reverts.js';

/**
 * How a run ended, for a pipeline: the verdict when the run got to one, else why not.
 * `refused`: the fault never went in because the run was not allowed to start (rejected, expired,
 * cancelled, a start rule such as a halt, a freeze or the pre-flight and steady-state check);
 * `failed`: the state is failed (an inject or a revert failed); `timeout`: the record is not
 * finished yet (the caller stopped waiting).
 */
export const RunOutcome = z.enum(['held', 'refuted', 'inconclusive', 'refused', 'failed', 'timeout']);
export type RunOutcome = z.infer<typeof RunOutcome>;

/** Abort codes that mean the fault never went in because a start rule said no. */
const REFUSED_AT_START: ReadonlySet<string> = new Set(['preflight_failed', 'steady_state_failed']);

export const RunResult = z.object({
  /** The format of this document; changes that break readers raise it. */
  version: z.literal(1),
  experimentId: z.string(),
  playbook: z.string(),
  hypothesis: z.string(),
  state: ExperimentState,
  phase: RunPhase.nullable(),
  verdict: Verdict.nullable(),
  outcome: RunOutcome,
  /** ISO 8601 UTC; null when the run did not get there. */
  proposedAt: z.string(),
  startedAt: z.string().nullable(),
  injectedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** From start to end; null unless both happened. */
  durationMs: z.number().int().min(0).nullable(),
  targets: z.array(z.object({ id: z.string(), name: z.string(), kind: z.string(), attributes: z.record(z.string(), z.string()) })),
  fault: z.object({
    adapter: z.string(),
    type: z.string(),
    parameters: z.record(z.string(), z.unknown()),
    durationMs: z.number().int(),
    blastRadius: z.string(),
    /** Set when the target applied only part of the fault ("only 3 of 5 pods evicted (…)"). */
    partial: z.string().nullable(),
  }),
  steadyState: z.array(SteadyStateCheck),
  guardrails: z.array(GuardrailResult),
  abort: z
    .object({
      by: Actor,
      /** Aborted by Faultline itself (a guardrail, the pre-flight, a shutdown), not by a person. */
      automatic: z.boolean(),
      at: z.string(),
      reason: z.string(),
      code: z.string(),
    })
    .nullable(),
  /** Why the run never started, when it did not (`outcome` is `refused`): a stable code and the reason. */
  refusal: z.object({ code: z.string(), reason: z.string(), by: Actor.nullable(), at: z.string().nullable() }).nullable(),
  /** Why the state is failed (`inject failed: …`, `revert failed: …`). */
  failure: z.string().nullable(),
  reverts: z.array(RevertReceipt),
  links: z.object({ postmortem: z.string().nullable() }),
});
export type RunResult = z.infer<typeof RunResult>;

export interface RunResultOptions {
  /** The playbook's hypothesis (the record holds the resolved plan, not the playbook's prose). */
  hypothesis: string;
  /** Where the post-mortem draft was written; defaults to the path the journal records. */
  postmortemPath?: string;
  /**
   * A start the engine refused before the record moved (halted, frozen, an open incident, the
   * ladder): the FaultlineError's code and message. A start refused through chat is also found in
   * the journal (`refused` with command `start`).
   */
  refusal?: { code: string; reason: string; at?: number };
}

type Refusal = NonNullable<RunResult['refusal']>;

/** The start refusal that left the record proposed or approved: the option, else the last one journaled. */
function startRefusal(record: ExperimentRecord, events: readonly PostmortemEvent[], given: RunResultOptions['refusal']): Refusal | null {
  if (record.state !== 'proposed' && record.state !== 'approved') return null;
  if (given) return { code: given.code, reason: given.reason, by: null, at: given.at === undefined ? null : isoUtc(given.at) };
  const last = eventsOf(events, 'refused')
    .filter(({ data }) => data.command === 'start')
    .at(-1);
  return last ? { code: last.data.code, reason: last.data.message, by: null, at: isoUtc(last.event.at) } : null;
}

function refusalOf(record: ExperimentRecord, events: readonly PostmortemEvent[], given: RunResultOptions['refusal']): Refusal | null {
  const { state, closedBy, abort } = record;
  if ((state === 'rejected' || state === 'expired' || state === 'cancelled') && closedBy) {
    return { code: state, reason: closedBy.reason, by: closedBy.by, at: isoUtc(closedBy.at) };
  }
  if (state === 'aborted' && abort && REFUSED_AT_START.has(abort.code)) return { code: abort.code, reason: abort.reason, by: null, at: isoUtc(abort.at) };
  return startRefusal(record, events, given);
}

/** The outcome of a record: see RunOutcome. `startRefused`: a start rule refused a record still proposed or approved. */
export function outcomeOf(record: ExperimentRecord, startRefused = false): RunOutcome {
  switch (record.state) {
    case 'rejected':
    case 'expired':
    case 'cancelled':
      return 'refused';
    case 'failed':
      return 'failed';
    case 'completed':
    case 'aborted':
      if (record.abort && REFUSED_AT_START.has(record.abort.code)) return 'refused';
      return record.verdict ?? 'inconclusive';
    case 'proposed':
    case 'approved':
      return startRefused ? 'refused' : 'timeout';
    case 'running':
      return 'timeout';
  }
}

/**
 * The result of one run for a pipeline (`faultline run --json`), from the record and its journal.
 * Pure: the same record, journal and options always give the same result. Journal entries of
 * other experiments are ignored.
 */
export function runResult(record: ExperimentRecord, journal: readonly PostmortemEvent[], opts: RunResultOptions): RunResult {
  const events = chronological(journal.filter((e) => e.experimentId === record.id));
  const names = new Map(record.plan.targets.map((t) => [t.id, t.name]));
  for (const { data } of eventsOf(events, 'proposed')) for (const t of data.targets) if (!names.has(t.id)) names.set(t.id, t.name);
  const refusal = refusalOf(record, events, opts.refusal);
  const { plan, abort } = record;
  const journaledPostmortem = eventsOf(events, 'postmortem').at(-1)?.data.path ?? null;
  return RunResult.parse({
    version: 1,
    experimentId: record.id,
    playbook: record.name,
    hypothesis: opts.hypothesis.trim().replace(/\s*\r?\n\s*/g, ' '),
    state: record.state,
    phase: record.phase,
    verdict: record.verdict,
    outcome: outcomeOf(record, refusal !== null),
    proposedAt: isoUtc(record.proposedAt),
    startedAt: record.startedAt === null ? null : isoUtc(record.startedAt),
    injectedAt: record.injectedAt === null ? null : isoUtc(record.injectedAt),
    endedAt: record.endedAt === null ? null : isoUtc(record.endedAt),
    durationMs: record.startedAt !== null && record.endedAt !== null ? Math.max(0, record.endedAt - record.startedAt) : null,
    targets: plan.targets.map((t) => ({ id: t.id, name: t.name, kind: t.kind, attributes: t.attributes })),
    fault: {
      adapter: plan.adapter,
      type: plan.fault.type,
      parameters: plan.fault.parameters,
      durationMs: plan.durationMs,
      blastRadius: plan.blastRadius,
      partial: record.partial ? partialApplied(record.partial) : null,
    },
    steadyState: steadyStateChecks(plan, events),
    guardrails: guardrailResults(plan, events),
    abort: abort ? { by: abort.by, automatic: abort.by.id === SYSTEM.id, at: isoUtc(abort.at), reason: abort.reason, code: abort.code } : null,
    refusal,
    failure: record.failure,
    reverts: revertReceipts(events, (id) => names.get(id) ?? id),
    links: { postmortem: opts.postmortemPath ?? journaledPostmortem },
  } satisfies RunResult);
}
