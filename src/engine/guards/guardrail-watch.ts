import { SYSTEM } from '../../core/actor.js';
import type { Plan } from '../../core/experiment.js';
import {
  DEFAULT_BLIND_AFTER_MS,
  evaluateCheck,
  evaluateGuardrails,
  freshMemory,
  nextRoundAt,
  preflightGuardrails,
  type CheckResult,
  type GuardrailMemory,
  type GuardrailRule,
  type PreflightResult,
} from '../../core/guardrails.js';
import { message } from '../../core/message.js';
import type { SignalQuery } from '../../core/playbook.js';
import type { Reading } from '../../core/ports.js';
import type { EngineDeps } from '../engine-deps.js';
import type { EngineMetrics } from '../engine-metrics.js';
import type { StoredExperiment } from '../experiments/experiment-repo.js';
import type { Journal } from '../journal.js';
import type { Notifier } from '../chat/notifier.js';
import { sampleAll, sampleSignal } from './sample-signals.js';
import { sleepUntil, untilWoken } from '../experiments/timing.js';
import type { Transitions } from '../experiments/transitions.js';
import { errorText } from '../../core/errors.js';

/** What watching guardrails needs from the runner: narrow on purpose. */
export interface WatchPorts {
  deps: EngineDeps;
  journal: Journal;
  transitions: Transitions;
  notifier: Notifier;
  metrics: EngineMetrics;
  current(id: string): StoredExperiment;
}

/** The rules as the approved plan states them; the engine default fills a blind time the plan predates. */
export function guardrailRules(plan: Plan, defaultBlindAfterMs = DEFAULT_BLIND_AFTER_MS): GuardrailRule[] {
  return plan.guardrails.map((g) => ({
    name: g.name,
    comparison: g.comparison as GuardrailRule['comparison'],
    threshold: g.threshold,
    forMs: g.forMs,
    maxUnknown: g.maxUnknown,
    blindAfterMs: g.blindAfterMs ?? defaultBlindAfterMs,
  }));
}

const valueOf = (r: { reading: { status: string; value?: number } }) => (r.reading.status === 'ok' ? { value: r.reading.value } : {});

export interface Preflight {
  steadyState: CheckResult[];
  guardrails: PreflightResult[];
  /** What refuses the start, one line per guardrail or check; empty when the fault may go in. */
  refusal: { code: 'preflight_failed' | 'steady_state_failed'; reason: string } | null;
}

/**
 * Before anything is injected, every guardrail and every steady-state check is sampled once, all
 * at the same time. A guardrail that reads unknown or already meets its abort condition refuses
 * the start (`preflight_failed`), as does a failing steady-state check (`steady_state_failed`).
 * Journaled (`preflight` for guardrails, `precheck` for the steady state) and posted in the thread.
 */
export async function preflight(ports: WatchPorts, id: string): Promise<Preflight> {
  const entry = ports.current(id);
  const { deps } = ports;
  const checks = entry.spec.steadyState;
  const guards = entry.spec.guardrails;
  const readings = await sampleAll(deps.signals, [...guards.map((g) => g.signal), ...checks.map((c) => c.signal)], deps.clock, deps.settings.signalTimeoutMs);
  const guardrails = preflightGuardrails(guardrailRules(entry.record.plan), readings.slice(0, guards.length), deps.clock.now());
  const steadyState = checks.map((c, i) => evaluateCheck(c, readings[guards.length + i]!));
  ports.journal.record('preflight', id, SYSTEM, { guardrails: guardrails.map((r) => ({ name: r.name, passed: r.passed, detail: r.detail, ...valueOf(r) })) });
  ports.journal.record('precheck', id, SYSTEM, { results: steadyState.map((r) => ({ name: r.name, passed: r.passed, detail: r.detail, ...valueOf(r) })), waitedMs: 0 });
  const mark = (r: { passed: boolean; name: string; detail: string }) => `${r.passed ? '✓' : '✗'} ${r.name}: ${r.detail}`;
  const sections = [`pre-flight, before anything is injected:\nGuardrails:\n${guardrails.map(mark).join('\n')}`];
  if (steadyState.length > 0) sections.push(`Steady state before:\n${steadyState.map(mark).join('\n')}`);
  ports.notifier.reply(id, ports.current(id).card, entry.record.channel, message({ subject: id, sections }));
  const badGuards = guardrails.filter((r) => !r.passed);
  const badChecks = steadyState.filter((r) => !r.passed);
  const lines = [...badGuards.map((r) => `guardrail "${r.name}" ${r.detail}`), ...badChecks.map((r) => `${r.name}: ${r.detail}`)];
  const refusal = badGuards.length > 0 ? { code: 'preflight_failed' as const, reason: lines.join('; ') } : badChecks.length > 0 ? { code: 'steady_state_failed' as const, reason: lines.join('; ') } : null;
  if (refusal) deps.log.warn({ experimentId: id, code: refusal.code, reason: refusal.reason }, 'pre-flight refused the start');
  return { steadyState, guardrails, refusal };
}

/**
 * Samples every guardrail at once. Settles when all have answered, or as soon as one answer alone
 * breaks its guardrail (breach or blind): a slow or hung signal never holds up the abort that a
 * faster one already calls for. Unanswered places stay undefined.
 */
function sampleRound(
  deps: EngineDeps,
  guardrails: ReadonlyArray<{ signal: SignalQuery }>,
  rules: readonly GuardrailRule[],
  memory: readonly GuardrailMemory[],
  sampledAt: number,
  timeoutMs: number,
): Promise<Array<Reading | undefined>> {
  const readings: Array<Reading | undefined> = guardrails.map(() => undefined);
  return new Promise((resolve) => {
    let left = guardrails.length;
    if (left === 0) resolve(readings);
    guardrails.forEach((g, i) => {
      void sampleSignal(deps.signals, g.signal, deps.clock, timeoutMs)
        .catch((err: unknown): Reading => ({ status: 'unknown', reason: errorText(err), at: deps.clock.now() }))
        .then((reading) => {
          readings[i] = reading;
          left -= 1;
          const alone = evaluateGuardrails([rules[i]!], [memory[i]!], [reading], { sampledAt, now: deps.clock.now() });
          if (left === 0 || alone.outcome !== 'ok') resolve(readings);
        });
    });
  });
}

/**
 * Watches the guardrails while the fault is in. Rounds run at a fixed rate: each is due one
 * interval after the start of the one before (a slow sample does not push the schedule), rounds
 * never overlap (one still sampling when the next is due is followed at once), and an abort stops
 * the wait or a slow sample at once; a guardrail that breaks does not wait for slower ones to answer.
 * Returns when the run is no longer observing, the fault's
 * time is up, or a guardrail broke (then the run is aborted here).
 */
export async function observeGuardrails(ports: WatchPorts, id: string, wake: AbortSignal): Promise<void> {
  const { deps, journal, transitions, metrics } = ports;
  const { spec, record } = ports.current(id);
  const rules = guardrailRules(record.plan, deps.settings.blindAfterMs);
  const { guardrailIntervalMs, signalTimeoutMs } = deps.settings;
  let memory = rules.map(() => freshMemory());
  for (;;) {
    const entry = ports.current(id);
    if (entry.record.phase !== 'observing' || wake.aborted) return;
    const endsAt = entry.record.endsAt ?? 0;
    const sampledAt = deps.clock.now();
    const roundStart = performance.now();
    // An abort must not wait out a slow sample (up to signalTimeoutMs): stop listening and revert now.
    const readings = await untilWoken(sampleRound(deps, spec.guardrails, rules, memory, sampledAt, signalTimeoutMs), wake);
    if (!readings || ports.current(id).record.phase !== 'observing') return;
    const now = deps.clock.now();
    // Only what answered is judged: a round cut short by a breach leaves the slower guardrails as they were.
    const answered = rules.flatMap((_, i) => (readings[i] ? [i] : []));
    const evaluation = evaluateGuardrails(
      answered.map((i) => rules[i]!),
      answered.map((i) => memory[i]!),
      answered.map((i) => readings[i]!),
      { sampledAt, now },
    );
    memory = memory.map((m, i) => (answered.includes(i) ? evaluation.memory[answered.indexOf(i)]! : m));
    metrics.guardrailRound(performance.now() - roundStart, evaluation.outcome);
    answered.forEach((i) => {
      if (readings[i]!.status === 'unknown') metrics.signalUnknown(spec.guardrails[i]!.signal.source);
    });
    transitions.liveGuardrails.set(id, evaluation.results);
    journal.record('reading', id, SYSTEM, {
      sampledAt,
      results: evaluation.results.map((r) => ({ name: r.name, status: r.status, detail: r.detail, ...valueOf(r) })),
    });
    if (evaluation.culprit) {
      const c = evaluation.culprit;
      const code = evaluation.outcome === 'blind' ? 'guardrail_blind' : 'guardrail_breach';
      const reason = evaluation.outcome === 'blind' ? `guardrail blind: ${c.name} (${c.detail})` : `guardrail breached: ${c.name} (${c.detail})`;
      journal.record('breach', id, SYSTEM, { guardrail: c.name, status: c.status, detail: c.detail });
      deps.log.warn({ experimentId: id, guardrail: c.name, status: c.status, detail: c.detail }, 'guardrail broke; aborting');
      transitions.apply(id, { type: 'abort', actor: SYSTEM, reason, code });
      return;
    }
    transitions.refreshCard(ports.current(id));
    if (deps.clock.now() >= endsAt) return;
    await sleepUntil(nextRoundAt(sampledAt, guardrailIntervalMs, endsAt), deps.clock, wake);
    if (deps.clock.now() >= endsAt) return;
  }
}
