import type { Comparison } from './playbook.js';
import type { Reading } from './ports.js';

export function compare(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '==':
      return value === threshold;
    case '!=':
      return value !== threshold;
  }
}

export interface GuardrailRule {
  name: string;
  comparison: Comparison;
  threshold: number;
  forMs: number;
  maxUnknown: number;
  /** Unknown for this long (from the first unknown sample in a row) is blind too, however few the samples; absent: no time limit. */
  blindAfterMs?: number;
}

/** What the evaluator remembers between samples, per guardrail. */
export interface GuardrailMemory {
  /** Sample time of the first reading of the current unbroken run that met the abort condition, or null. */
  conditionSince: number | null;
  unknownStreak: number;
  /** Sample time of the first unknown reading of the current streak, or null. */
  unknownSince: number | null;
  last: Reading | null;
}

export type GuardrailStatus = 'ok' | 'pending' | 'breach' | 'blind';

export interface GuardrailResult {
  name: string;
  status: GuardrailStatus;
  reading: Reading;
  /** How long the abort condition has held (first to latest sample that met it), when it holds. */
  heldForMs: number;
  unknownStreak: number;
  /** How long the signal has been unknown (first unknown sample to now), when it is. */
  unknownForMs: number;
  detail: string;
}

export interface Evaluation {
  memory: GuardrailMemory[];
  results: GuardrailResult[];
  outcome: 'ok' | 'breach' | 'blind';
  /** The first result that broke, when the outcome is not ok. */
  culprit?: GuardrailResult;
}

/**
 * The times of one round: `sampledAt` is when the signals were asked (what the readings describe),
 * `now` is when the answers are judged (at or after `sampledAt`; a slow signal makes the gap).
 */
export interface RoundTime {
  sampledAt: number;
  now: number;
}

export const freshMemory = (): GuardrailMemory => ({ conditionSince: null, unknownStreak: 0, unknownSince: null, last: null });

/** Seconds as people read them in a `for` window: "2.1s", "30s", "0.25s"; `floor` (for what was seen) never overstates. */
export function formatSeconds(ms: number, floor = false): string {
  const s = Math.max(0, ms) / 1000;
  if (floor) return `${s >= 10 ? Math.floor(s * 10) / 10 : Math.floor(s * 100) / 100}s`;
  return `${Number(s.toFixed(3))}s`;
}

/**
 * One evaluation round. The abort condition must hold for the rule's `for` window before it is a
 * breach, measured in time: from the sample time of the first reading that met it to the sample
 * time of the latest one (a window shorter than the sampling interval is met by the first
 * breaching sample after it). An unknown reading neither clears nor confirms the condition, and
 * `maxUnknown` of them in a row, or unknown readings for `blindAfterMs` (whichever comes first),
 * mean the experiment is blind, which is treated as a breach (unknown is unhealthy).
 */
export function evaluateGuardrails(rules: readonly GuardrailRule[], memory: readonly GuardrailMemory[], readings: readonly Reading[], time: RoundTime): Evaluation {
  const { sampledAt, now } = time;
  const nextMemory: GuardrailMemory[] = [];
  const results: GuardrailResult[] = [];
  rules.forEach((rule, i) => {
    const prev = memory[i] ?? freshMemory();
    const reading = readings[i] ?? { status: 'unknown', reason: 'no reading', at: now };
    let mem: GuardrailMemory;
    let status: GuardrailStatus;
    let detail: string;
    let unknownForMs = 0;
    if (reading.status === 'unknown') {
      const since = prev.unknownSince ?? sampledAt;
      mem = { conditionSince: prev.conditionSince, unknownStreak: prev.unknownStreak + 1, unknownSince: since, last: reading };
      unknownForMs = Math.max(0, now - since);
      const byCount = mem.unknownStreak >= rule.maxUnknown;
      const byTime = rule.blindAfterMs !== undefined && unknownForMs >= rule.blindAfterMs;
      status = byCount || byTime ? 'blind' : 'pending';
      const span = rule.blindAfterMs !== undefined ? `, ${formatSeconds(unknownForMs, true)} of ${formatSeconds(rule.blindAfterMs)}` : '';
      detail = `unknown (${mem.unknownStreak}/${rule.maxUnknown}${span}): ${reading.reason}`;
    } else if (compare(reading.value, rule.comparison, rule.threshold)) {
      const since = prev.conditionSince ?? sampledAt;
      mem = { conditionSince: since, unknownStreak: 0, unknownSince: null, last: reading };
      const held = sampledAt - since;
      status = held >= rule.forMs ? 'breach' : 'pending';
      detail = `${formatNumber(reading.value)} ${rule.comparison} ${formatNumber(rule.threshold)} for ${formatSeconds(held, true)} of ${formatSeconds(rule.forMs)}`;
    } else {
      mem = { conditionSince: null, unknownStreak: 0, unknownSince: null, last: reading };
      status = 'ok';
      detail = `${formatNumber(reading.value)} (abort when ${rule.comparison} ${formatNumber(rule.threshold)})`;
    }
    nextMemory.push(mem);
    results.push({
      name: rule.name,
      status,
      reading,
      heldForMs: mem.conditionSince === null ? 0 : Math.max(0, sampledAt - mem.conditionSince),
      unknownStreak: mem.unknownStreak,
      unknownForMs,
      detail,
    });
  });
  const breach = results.find((r) => r.status === 'breach');
  const blind = results.find((r) => r.status === 'blind');
  const culprit = breach ?? blind;
  return { memory: nextMemory, results, outcome: breach ? 'breach' : blind ? 'blind' : 'ok', ...(culprit ? { culprit } : {}) };
}

/** `engine.blindAfter` when the config does not say: a signal unknown this long is blind. */
export const DEFAULT_BLIND_AFTER_MS = 10_000;

/**
 * When the next guardrail round is due: one interval after the start of the round before it, never
 * after it, so a slow sample does not push the schedule (a round that took longer than the
 * interval is followed at once: rounds never overlap), and never after the run's end.
 */
export function nextRoundAt(roundStartedAt: number, intervalMs: number, endsAt: number): number {
  return Math.min(roundStartedAt + intervalMs, endsAt);
}

export interface PreflightResult {
  name: string;
  passed: boolean;
  reading: Reading;
  detail: string;
}

/**
 * Every guardrail is sampled once before the fault goes in. A start is refused on a reading that
 * is unknown (the guardrail could not watch) or that already meets the abort condition (the fault
 * would be blamed for what was there before); the `for` window and `maxUnknown` do not apply here.
 */
export function preflightGuardrails(rules: readonly Pick<GuardrailRule, 'name' | 'comparison' | 'threshold'>[], readings: readonly Reading[], now: number): PreflightResult[] {
  return rules.map((rule, i) => {
    const reading = readings[i] ?? { status: 'unknown', reason: 'no reading', at: now };
    if (reading.status === 'unknown') return { name: rule.name, passed: false, reading, detail: `unknown: ${reading.reason}` };
    const breaking = compare(reading.value, rule.comparison, rule.threshold);
    const detail = breaking
      ? `${formatNumber(reading.value)} ${rule.comparison} ${formatNumber(rule.threshold)}: already breaking before anything was injected`
      : `${formatNumber(reading.value)} (abort when ${rule.comparison} ${formatNumber(rule.threshold)})`;
    return { name: rule.name, passed: !breaking, reading, detail };
  });
}

export interface CheckResult {
  name: string;
  passed: boolean;
  reading: Reading;
  detail: string;
}

/** A steady-state check passes only on a known reading that satisfies it. */
export function evaluateCheck(check: { name: string; comparison: Comparison; threshold: number }, reading: Reading): CheckResult {
  if (reading.status === 'unknown') {
    return { name: check.name, passed: false, reading, detail: `unknown: ${reading.reason}` };
  }
  const passed = compare(reading.value, check.comparison, check.threshold);
  return {
    name: check.name,
    passed,
    reading,
    detail: `${formatNumber(reading.value)} ${passed ? 'meets' : 'fails'} ${check.comparison} ${formatNumber(check.threshold)}`,
  };
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  // Three significant digits below 1, so 0.0199 never reads as the threshold 0.02 it just missed.
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : String(Number(n.toPrecision(3)));
}
