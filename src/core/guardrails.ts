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
}

/** What the evaluator remembers between samples, per guardrail. */
export interface GuardrailMemory {
  /** When the abort condition started holding continuously, or null. */
  conditionSince: number | null;
  unknownStreak: number;
  last: Reading | null;
}

export type GuardrailStatus = 'ok' | 'pending' | 'breach' | 'blind';

export interface GuardrailResult {
  name: string;
  status: GuardrailStatus;
  reading: Reading;
  /** How long the abort condition has held, when it holds. */
  heldForMs: number;
  unknownStreak: number;
  detail: string;
}

export interface Evaluation {
  memory: GuardrailMemory[];
  results: GuardrailResult[];
  outcome: 'ok' | 'breach' | 'blind';
  /** The first result that broke, when the outcome is not ok. */
  culprit?: GuardrailResult;
}

export const freshMemory = (): GuardrailMemory => ({ conditionSince: null, unknownStreak: 0, last: null });

/**
 * One evaluation round. The abort condition must hold for the rule's `for` window before it is a
 * breach; an unknown reading neither clears nor confirms the condition, and `maxUnknown` of them in a
 * row mean the experiment is blind, which is treated as a breach (unknown is unhealthy).
 */
export function evaluateGuardrails(rules: readonly GuardrailRule[], memory: readonly GuardrailMemory[], readings: readonly Reading[], now: number): Evaluation {
  const nextMemory: GuardrailMemory[] = [];
  const results: GuardrailResult[] = [];
  rules.forEach((rule, i) => {
    const prev = memory[i] ?? freshMemory();
    const reading = readings[i] ?? { status: 'unknown', reason: 'no reading', at: now };
    let mem: GuardrailMemory;
    let status: GuardrailStatus;
    let detail: string;
    if (reading.status === 'unknown') {
      mem = { conditionSince: prev.conditionSince, unknownStreak: prev.unknownStreak + 1, last: reading };
      status = mem.unknownStreak >= rule.maxUnknown ? 'blind' : 'pending';
      detail = `unknown (${mem.unknownStreak}/${rule.maxUnknown}): ${reading.reason}`;
    } else if (compare(reading.value, rule.comparison, rule.threshold)) {
      const since = prev.conditionSince ?? reading.at;
      mem = { conditionSince: since, unknownStreak: 0, last: reading };
      const held = now - since;
      status = held >= rule.forMs ? 'breach' : 'pending';
      detail = `${formatNumber(reading.value)} ${rule.comparison} ${formatNumber(rule.threshold)} for ${Math.round(held / 1000)}s of ${Math.round(rule.forMs / 1000)}s`;
    } else {
      mem = { conditionSince: null, unknownStreak: 0, last: reading };
      status = 'ok';
      detail = `${formatNumber(reading.value)} (abort when ${rule.comparison} ${formatNumber(rule.threshold)})`;
    }
    nextMemory.push(mem);
    results.push({
      name: rule.name,
      status,
      reading,
      heldForMs: mem.conditionSince === null ? 0 : now - mem.conditionSince,
      unknownStreak: mem.unknownStreak,
      detail,
    });
  });
  const breach = results.find((r) => r.status === 'breach');
  const blind = results.find((r) => r.status === 'blind');
  const culprit = breach ?? blind;
  return { memory: nextMemory, results, outcome: breach ? 'breach' : blind ? 'blind' : 'ok', ...(culprit ? { culprit } : {}) };
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
