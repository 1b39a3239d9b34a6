import { describe, expect, it } from 'vitest';
import { Plan } from '../../src/core/experiment.js';
import { canonicalJson, planHash, shortHash } from '../../src/core/plan-hash.js';
import { makePlan, target } from './fixtures.js';

/** Rebuilds an object with its keys in reverse order, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

describe('planHash', () => {
  const base = makePlan();
  const h = planHash(base);

  it('is a sha256 hex digest and the fixture is a valid Plan', () => {
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(Plan.parse(base)).toEqual(base);
    expect(shortHash(h)).toBe(h.slice(0, 12));
  });

  it('is stable under key order, at every depth', () => {
    const reordered = reverseKeys(base) as typeof base;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(base)[0]);
    expect(planHash(reordered)).toBe(h);
    expect(planHash(structuredClone(base))).toBe(h);
  });

  it('ignores undefined fields', () => {
    expect(planHash({ ...base, extra: undefined } as typeof base)).toBe(h);
  });

  const changes: Array<[string, Partial<ReturnType<typeof makePlan>>]> = [
    ['a different target', { targets: [target('checkout-2', { namespace: 'shop' })] }],
    ['an extra target', { targets: [...base.targets, target('checkout-2', { namespace: 'shop' })] }],
    ['a target attribute', { targets: [target('checkout-1', { namespace: 'shop-2' })] }],
    ['the fault type', { fault: { type: 'latency', parameters: base.fault.parameters } }],
    ['a fault parameter', { fault: { type: 'kill', parameters: { signal: 'SIGKILL' } } }],
    ['the duration', { durationMs: base.durationMs + 1 }],
    ['a guardrail threshold', { guardrails: [{ ...base.guardrails[0]!, threshold: 0.1 }] }],
    ['a guardrail window', { guardrails: [{ ...base.guardrails[0]!, forMs: 0 }] }],
    ['a guardrail comparison', { guardrails: [{ ...base.guardrails[0]!, comparison: '>=' }] }],
    ['a guardrail signal', { guardrails: [{ ...base.guardrails[0]!, signal: 'http' }] }],
    ['a removed guardrail', { guardrails: [] }],
    ['the blast radius', { blastRadius: 'all' }],
    ['the selector', { selector: { app: 'payments' } }],
    ['the seed', { seed: 43 }],
    ['a steady-state check', { steadyState: [] }],
  ];

  it.each(changes)('changes with %s', (_what, patch) => {
    expect(planHash({ ...base, ...patch })).not.toBe(h);
  });

  it('every change gives a distinct hash', () => {
    const hashes = new Set(changes.map(([, patch]) => planHash({ ...base, ...patch })));
    expect(hashes.size).toBe(changes.length);
  });
});

describe('canonicalJson', () => {
  it('sorts keys and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [3, { d: 1, c: 2 }] })).toBe('{"a":[3,{"c":2,"d":1}],"b":1}');
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('refuses a value with no JSON form, and writes null for undefined inside arrays', () => {
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
    expect(canonicalJson([undefined, null])).toBe('[null,null]');
    expect(canonicalJson('x')).toBe('"x"');
  });
});
