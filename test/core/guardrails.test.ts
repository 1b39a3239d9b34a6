import { describe, expect, it } from 'vitest';
import {
  compare,
  evaluateCheck,
  evaluateGuardrails,
  formatNumber,
  formatSeconds,
  freshMemory,
  nextRoundAt,
  preflightGuardrails,
  type GuardrailMemory,
  type GuardrailRule,
} from '../../src/core/guardrails.js';
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
    const ev = evaluateGuardrails([rule], memory, [v === null ? unknown(at) : ok(v, at)], { sampledAt: at, now: at });
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
    const ev = evaluateGuardrails([errorRate({ maxUnknown: 1 })], [], [], { sampledAt: T0, now: T0 });
    expect(ev.outcome).toBe('blind');
    expect(ev.results[0]!.reading).toMatchObject({ status: 'unknown', reason: 'no reading' });
  });
});

/** Feeds one rule readings with explicit times: `[sampledAt, judgedAt, value | null]` (ms after T0). */
function feedTimed(rule: GuardrailRule, rounds: Array<[number, number, number | null]>) {
  let memory: GuardrailMemory[] = [freshMemory()];
  return rounds.map(([sampled, judged, v]) => {
    const sampledAt = T0 + sampled;
    const ev = evaluateGuardrails([rule], memory, [v === null ? unknown(T0 + judged) : ok(v, T0 + judged)], { sampledAt, now: T0 + judged });
    memory = ev.memory;
    return ev;
  });
}

describe('the for window is time, not rounds', () => {
  it('is met when the time since the first breaching sample reaches the window, and says the window applied', () => {
    const evs = feedTimed(errorRate({ forMs: 2 * S }), [
      [0, 10, 0.2],
      [900, 910, 0.2],
      [2100, 2110, 0.2],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'breach']);
    expect(evs[1]!.results[0]!.detail).toBe('0.2 > 0.05 for 0.9s of 2s');
    expect(evs[2]!.results[0]!.heldForMs).toBe(2100);
    expect(evs[2]!.results[0]!.detail).toBe('0.2 > 0.05 for 2.1s of 2s');
  });

  it('a window shorter than the interval is met by the first breaching sample after it', () => {
    const evs = feedTimed(errorRate({ forMs: 500 }), [
      [0, 5, 0.01],
      [1000, 1005, 0.2],
      [2000, 2005, 0.2],
    ]);
    expect(statuses(evs)).toEqual(['ok', 'pending', 'breach']);
    expect(evs[2]!.results[0]!.detail).toBe('0.2 > 0.05 for 1s of 0.5s');
  });

  it('is measured between sample times: a slow answer does not stretch what was seen', () => {
    // Each answer comes 800 ms after its sample: judged at 1.8 s, only 1 s of the condition was seen.
    const evs = feedTimed(errorRate({ forMs: 1500 }), [
      [0, 800, 0.2],
      [1000, 1800, 0.2],
      [2000, 2800, 0.2],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'breach']);
    expect(evs[1]!.results[0]!.heldForMs).toBe(1000);
    expect(evs[2]!.results[0]!.detail).toBe('0.2 > 0.05 for 2s of 1.5s');
  });

  it('the held time is never overstated in the text (floored), the window is written exactly', () => {
    expect(formatSeconds(1969, true)).toBe('1.96s');
    expect(formatSeconds(260, true)).toBe('0.26s');
    expect(formatSeconds(30_460, true)).toBe('30.4s');
    expect(formatSeconds(0, true)).toBe('0s');
    expect(formatSeconds(250)).toBe('0.25s');
    expect(formatSeconds(2000)).toBe('2s');
    expect(formatSeconds(90_000)).toBe('90s');
  });
});

describe('blind after a time', () => {
  it('a signal that hangs until its timeout is blind once unknown for blindAfter, before maxUnknown', () => {
    // Each sample gives up after 3 s; the next starts at once (the round was longer than the interval).
    const evs = feedTimed(errorRate({ maxUnknown: 100, blindAfterMs: 10 * S }), [
      [0, 3000, null],
      [3000, 6000, null],
      [6000, 9000, null],
      [9000, 12_000, null],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'pending', 'blind']);
    expect(evs[3]!.outcome).toBe('blind');
    expect(evs[3]!.results[0]!.unknownForMs).toBe(12_000);
    expect(evs[3]!.results[0]!.detail).toBe('unknown (4/100, 12s of 10s): timeout');
  });

  it('maxUnknown still ends it first when unknowns come faster', () => {
    const evs = feedTimed(errorRate({ maxUnknown: 3, blindAfterMs: 10 * S }), [
      [0, 10, null],
      [1000, 1010, null],
      [2000, 2010, null],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'pending', 'blind']);
    expect(evs[2]!.results[0]!.detail).toBe('unknown (3/3, 2s of 10s): timeout');
  });

  it('a known reading resets the unknown time', () => {
    const evs = feedTimed(errorRate({ maxUnknown: 100, blindAfterMs: 5 * S }), [
      [0, 10, null],
      [4000, 4010, 0.01],
      [5000, 5010, null],
      [9000, 9010, null],
      [10_000, 10_010, null],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'ok', 'pending', 'pending', 'blind']);
    expect(evs[1]!.memory[0]!.unknownSince).toBeNull();
    expect(evs[3]!.results[0]!.unknownForMs).toBe(4010);
  });

  it('without blindAfterMs only the count applies', () => {
    const evs = feedTimed(errorRate({ maxUnknown: 3 }), [
      [0, 60_000, null],
      [60_000, 120_000, null],
    ]);
    expect(statuses(evs)).toEqual(['pending', 'pending']);
    expect(evs[1]!.results[0]!.detail).toBe('unknown (2/3): timeout');
  });
});

describe('pre-flight', () => {
  const rules = [errorRate({ name: 'errors' }), errorRate({ name: 'p99', comparison: '>=', threshold: 500 }), errorRate({ name: 'pods', comparison: '<', threshold: 2 })];

  it('passes known readings that do not meet the abort condition', () => {
    const res = preflightGuardrails(rules, [ok(0.01, T0), ok(120, T0), ok(3, T0)], T0);
    expect(res.map((r) => r.passed)).toEqual([true, true, true]);
    expect(res[0]!.detail).toBe('0.01 (abort when > 0.05)');
  });

  it('refuses an unknown reading and one that already meets the condition, whatever the for window or maxUnknown', () => {
    const res = preflightGuardrails(rules, [unknown(T0, 'no data: the query returned an empty result'), ok(900, T0), ok(3, T0)], T0);
    expect(res.map((r) => r.passed)).toEqual([false, false, true]);
    expect(res[0]!.detail).toBe('unknown: no data: the query returned an empty result');
    expect(res[1]!.detail).toBe('900 >= 500: already breaking before anything was injected');
  });

  it('a missing reading is unknown', () => {
    expect(preflightGuardrails(rules.slice(0, 1), [], T0)[0]).toMatchObject({ passed: false, detail: 'unknown: no reading' });
  });
});

describe('the round schedule', () => {
  it('is due one interval after the start of the round before, never after the run ends', () => {
    expect(nextRoundAt(T0, 1000, T0 + 60_000)).toBe(T0 + 1000);
    expect(nextRoundAt(T0 + 59_500, 1000, T0 + 60_000)).toBe(T0 + 60_000);
  });

  it('a round that took longer than the interval is followed at once: its due time has passed when it ends', () => {
    const started = T0;
    const ended = T0 + 3000; // a sample that hung until its 3 s timeout
    expect(nextRoundAt(started, 1000, T0 + 60_000)).toBeLessThan(ended);
  });
});

describe('several rules', () => {
  const rules = [errorRate({ name: 'errors', forMs: 0 }), errorRate({ name: 'latency', comparison: '>=', threshold: 500, forMs: 0, maxUnknown: 1 }), errorRate({ name: 'pods', comparison: '<', threshold: 2, forMs: 0 })];
  const at = T0;
  const round = { sampledAt: at, now: at };

  it('ok when every rule is ok', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), ok(200, at), ok(3, at)], round);
    expect(ev.outcome).toBe('ok');
    expect(ev.culprit).toBeUndefined();
    expect(ev.results.map((r) => r.name)).toEqual(['errors', 'latency', 'pods']);
    expect(ev.memory).toHaveLength(3);
  });

  it('breach outranks blind; the culprit is the first breach', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), unknown(at), ok(1, at)], round);
    expect(ev.results.map((r) => r.status)).toEqual(['ok', 'blind', 'breach']);
    expect(ev.outcome).toBe('breach');
    expect(ev.culprit?.name).toBe('pods');
  });

  it('the first of several breaches is the culprit', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.5, at), ok(900, at), ok(1, at)], round);
    expect(ev.culprit?.name).toBe('errors');
  });

  it('blind when nothing breaches but one rule is blind', () => {
    const ev = evaluateGuardrails(rules, [], [ok(0.01, at), unknown(at), ok(3, at)], round);
    expect(ev.outcome).toBe('blind');
    expect(ev.culprit?.name).toBe('latency');
  });

  it('keeps memory per rule', () => {
    const slow = [errorRate({ name: 'a' }), errorRate({ name: 'b' })];
    const first = evaluateGuardrails(slow, [], [ok(0.2, at), ok(0.01, at)], round);
    const second = evaluateGuardrails(slow, first.memory, [ok(0.2, at + 30 * S), ok(0.2, at + 30 * S)], { sampledAt: at + 30 * S, now: at + 30 * S });
    expect(second.results.map((r) => r.status)).toEqual(['breach', 'pending']);
  });

  it('does not mutate the memory it is given', () => {
    const memory = [freshMemory()];
    const copy = structuredClone(memory);
    evaluateGuardrails([errorRate()], memory, [ok(0.2, at)], round);
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
