import { describe, expect, it } from 'vitest';
import { compare, evaluateCheck, evaluateGuardrails, formatNumber, freshMemory, type GuardrailMemory, type GuardrailRule } from '../../src/core/guardrails.js';
import type { Comparison } from '../../src/core/playbook.js';
import type { Reading } from '../../src/core/ports.js';
import { T0 } from './fixtures.js';

const S = 1000;
const ok = (value: number, at: number): Reading => ({ status: 'ok', value, at });
const unknown = (at: number, reason = 'timeout'): Reading => ({ status: 'unknown', reason, at });

const errorRate = (over: Partial<GuardrailRule> = {}): GuardrailRule => ({ name: 'error-rate', comparison: '>', threshold: 0.05, forMs: 30 * S, maxUnknown: 3, ...over });

/** Feeds one rule a series of readings taken every `step` ms; returns the status after each. */
function feed(rule: GuardrailRule, values: Array<number | null>, step = 10 * S) {
  let memory: GuardrailMemory[] = [freshMemory()];
  return values.map((v, i) => {
    const at = T0 + i * step;
    const ev = evaluateGuardrails([rule], memory, [v === null ? unknown(at) : ok(v, at)], at);
    memory = ev.memory;
    return ev;
  });
}
const statuses = (evs: ReturnType<typeof feed>) => evs.map((e) => e.results[0]!.status);

describe('the for window', () => {
  it('breaches only once the condition has held continuously for forMs', () => {
    // readings every 10s; condition from t=10s; breach when held ≥ 30s, i.e. at t=40s
    const evs = feed(errorRate(), [0.01, 0.2, 0.2, 0.2, 0.2]);
    expect(statuses(evs)).toEqual(['ok', 'pending', 'pending', 'pending', 'breach']);
    expect(evs[3]!.results[0]!.heldForMs).toBe(20 * S);
    expect(evs[4]!.results[0]!.heldForMs).toBe(30 * S);
    expect(evs[4]!.outcome).toBe('breach');
    expect(evs[4]!.culprit?.name).toBe('error-rate');
    expect(evs[4]!.results[0]!.detail).toContain('for 30s of 30s');
  });

  it('an ok reading resets the window', () => {
    const evs = feed(errorRate(), [0.2, 0.2, 0.2, 0.01, 0.2, 0.2, 0.2, 0.2]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'pending', 'ok', 'pending', 'pending', 'pending', 'breach']);
    expect(evs[3]!.memory[0]!.conditionSince).toBeNull();
    expect(evs[3]!.results[0]!.heldForMs).toBe(0);
  });

  it('for 0 breaches on the first reading that meets the condition', () => {
    expect(statuses(feed(errorRate({ forMs: 0 }), [0.01, 0.06]))).toEqual(['ok', 'breach']);
  });

  it('the threshold itself does not meet a strict comparison', () => {
    expect(statuses(feed(errorRate({ forMs: 0 }), [0.05]))).toEqual(['ok']);
  });
});

describe('unknown readings', () => {
  it('maxUnknown consecutive unknowns → blind', () => {
    const evs = feed(errorRate(), [null, null, null]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'blind']);
    expect(evs[2]!.outcome).toBe('blind');
    expect(evs[2]!.culprit?.status).toBe('blind');
    expect(evs[2]!.results[0]!.unknownStreak).toBe(3);
    expect(evs[2]!.results[0]!.detail).toContain('unknown (3/3): timeout');
  });

  it('maxUnknown 1 is blind on the first unknown', () => {
    expect(statuses(feed(errorRate({ maxUnknown: 1 }), [null]))).toEqual(['blind']);
  });

  it('a known reading resets the streak (whether or not it meets the condition)', () => {
    expect(statuses(feed(errorRate(), [null, null, 0.01, null, null, 0.01]))).toEqual(['pending', 'pending', 'ok', 'pending', 'pending', 'ok']);
    const evs = feed(errorRate({ forMs: 60 * S }), [null, null, 0.2, null, null]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);
    expect(evs[2]!.results[0]!.unknownStreak).toBe(0);
  });

  it('an unknown reading neither clears nor confirms the condition window', () => {
    // condition from t=0, unknowns at 10s and 20s, condition again at 30s: held 30s → breach
    const evs = feed(errorRate(), [0.2, null, null, 0.2]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'pending', 'breach']);
    expect(evs[1]!.memory[0]!.conditionSince).toBe(T0);
    expect(evs[3]!.results[0]!.heldForMs).toBe(30 * S);
  });

  it('a missing reading counts as unknown', () => {
    const ev = evaluateGuardrails([errorRate({ maxUnknown: 1 })], [], [], T0);
    expect(ev.outcome).toBe('blind');
    expect(ev.results[0]!.reading).toMatchObject({ status: 'unknown', reason: 'no reading' });
  });
});

describe('several rules', () => {
  const rules = [errorRate({ name: 'errors', forMs: 0 }), errorRate({ name: 'latency', comparison: '>=', threshold: 500, forMs: 0, maxUnknown: 1 }), errorRate({ name: 'pods', comparison: '<', threshold: 2, forMs: 0 })];
  const at = T0;

  it('ok when every rule is ok', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), ok(200, at), ok(3, at)], at);
    expect(ev.outcome).toBe('ok');
    expect(ev.culprit).toBeUndefined();
    expect(ev.results.map((r) => r.name)).toEqual(['errors', 'latency', 'pods']);
    expect(ev.memory).toHaveLength(3);
  });

  it('breach outranks blind; the culprit is the first breach', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), unknown(at), ok(1, at)], at);
    expect(ev.results.map((r) => r.status)).toEqual(['ok', 'blind', 'breach']);
    expect(ev.outcome).toBe('breach');
    expect(ev.culprit?.name).toBe('pods');
  });

  it('the first of several breaches is the culprit', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.5, at), ok(900, at), ok(1, at)], at);
    expect(ev.culprit?.name).toBe('errors');
  });

  it('blind when nothing breaches but one rule is blind', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), unknown(at), ok(3, at)], at);
    expect(ev.outcome).toBe('blind');
    expect(ev.culprit?.name).toBe('latency');
  });

  it('keeps memory per rule', () => {
    const slow = [errorRate({ name: 'a' }), errorRate({ name: 'b' })];
    const first = evaluateGuardrails(slow, [], [ok(0.2, at), ok(0.01, at)], at);
    const second = evaluateGuardrails(slow, first.memory, [ok(0.2, at + 30 * S), ok(0.2, at + 30 * S)], at + 30 * S);
    expect(second.results.map((r) => r.status)).toEqual(['breach', 'pending']);
  });

  it('does not mutate the memory it is given', () => {
    const memory = [freshMemory()];
    const copy = structuredClone(memory);
    evaluateGuardrails([errorRate()], memory, [ok(0.2, at)], at);
    expect(memory).toEqual(copy);
  });
});

describe('compare and evaluateCheck', () => {
  const table: Array<[Comparison, number, number, boolean]> = [
    ['<', 1, 2, true],
    ['<', 2, 2, false],
    ['<', 3, 2, false],
    ['<=', 1, 2, true],
    ['<=', 2, 2, true],
    ['<=', 3, 2, false],
    ['>', 3, 2, true],
    ['>', 2, 2, false],
    ['>', 1, 2, false],
    ['>=', 3, 2, true],
    ['>=', 2, 2, true],
    ['>=', 1, 2, false],
    ['==', 2, 2, true],
    ['==', 2.5, 2, false],
    ['!=', 2.5, 2, true],
    ['!=', 2, 2, false],
  ];

  it.each(table)('%s: %d vs %d → %s', (comparison, value, threshold, expected) => {
    expect(compare(value, comparison, threshold)).toBe(expected);
    const check = evaluateCheck({ name: 'c', comparison, threshold }, ok(value, T0));
    expect(check.passed).toBe(expected);
    expect(check.detail).toContain(expected ? 'meets' : 'fails');
  });

  it.each(['<', '<=', '>', '>=', '==', '!='] as const)('an unknown reading never passes (%s)', (comparison) => {
    const check = evaluateCheck({ name: 'p99', comparison, threshold: 0 }, unknown(T0, 'connection refused'));
    expect(check).toMatchObject({ name: 'p99', passed: false, detail: 'unknown: connection refused' });
  });

  it('formats numbers compactly', () => {
    expect(formatNumber(3)).toBe('3');
    expect(formatNumber(123.456)).toBe('123');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(0.0512)).toBe('0.0512');
    expect(formatNumber(0.0199)).toBe('0.0199');
    expect(formatNumber(0.05)).toBe('0.05');
  });
});
