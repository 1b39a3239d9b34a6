import { describe, expect, it } from 'vitest';
import { BlastRadius, formatBlastRadius, parseBlastRadius, radiusCount } from '../../src/core/blast-radius-spec.js';
import { protectionReason, seededRandom, selectTargets, type BlastRadiusCaps, type ProtectionPolicy } from '../../src/core/blast-radius.js';
import { FaultlineError } from '../../src/core/errors.js';
import { target } from './fixtures.js';

const noProtection: ProtectionPolicy = { namespaces: [], labels: [], names: [] };
const wide: BlastRadiusCaps = { maxTargets: 100, maxPercent: 100 };
const fleet = (n: number) => Array.from({ length: n }, (_, i) => target(`r-${String(i).padStart(2, '0')}`, { namespace: 'shop', app: 'checkout' }));

function refusal(fn: () => unknown): FaultlineError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FaultlineError) return err;
    throw err;
  }
  throw new Error('expected a FaultlineError');
}

describe('radiusCount', () => {
  it.each([
    ['one', 10, 1],
    ['one', 1, 1],
    ['one', 0, 0],
    ['all', 10, 10],
    ['all', 0, 0],
    ['count:3', 10, 3],
    ['count:3', 2, 2],
    ['percent:50', 10, 5],
    ['percent:10', 3, 1],
    ['percent:34', 3, 2],
    ['percent:1', 1000, 10],
    ['percent:1', 1, 1],
    ['percent:100', 7, 7],
    ['percent:99', 7, 7],
  ])('%s of %i → %i', (text, available, expected) => {
    const radius = parseBlastRadius(text);
    expect(radius).toBeDefined();
    expect(radiusCount(radius!, available)).toBe(expected);
  });

  it('percent never gives 0 and never exceeds what is available', () => {
    for (let n = 1; n <= 100; n++) {
      for (let available = 1; available <= 40; available++) {
        const c = radiusCount({ kind: 'percent', n }, available);
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(available);
        expect(c).toBeGreaterThanOrEqual((available * n) / 100);
      }
    }
  });
});

describe('parseBlastRadius', () => {
  it.each([
    ['one', { kind: 'one' }],
    ['all', { kind: 'all' }],
    [' one ', { kind: 'one' }],
    ['count:1', { kind: 'count', n: 1 }],
    ['count:25', { kind: 'count', n: 25 }],
    ['percent:1', { kind: 'percent', n: 1 }],
    ['percent:100', { kind: 'percent', n: 100 }],
  ])('accepts %j', (text, expected) => {
    expect(parseBlastRadius(text)).toEqual(expected);
    expect(formatBlastRadius(parseBlastRadius(text)!)).toBe(text.trim());
  });

  it.each(['', ' ', 'count:0', 'count:-1', 'count:', 'count:1.5', 'percent:0', 'percent:101', 'percent:x', 'percent:', 'some', 'ONE', 'count 3', '50%', 'count:3:4'])(
    'rejects %j',
    (text) => {
      expect(parseBlastRadius(text)).toBeUndefined();
      expect(BlastRadius.safeParse(text).success).toBe(false);
    },
  );

  it('the zod schema explains what it expected', () => {
    const r = BlastRadius.safeParse('percent:101');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('one | all | count:N | percent:P');
  });
});

describe('protection', () => {
  const t = target('pod-1', { namespace: 'kube-system', tier: 'db', app: 'pg' }, 'postgres-0');

  it('names the reason', () => {
    expect(protectionReason(t, { ...noProtection, namespaces: ['kube-system'] })).toContain('namespace kube-system');
    expect(protectionReason(t, { ...noProtection, labels: ['tier=db'] })).toContain('label tier=db');
    expect(protectionReason(t, { ...noProtection, labels: ['tier'] })).toContain('label tier');
    expect(protectionReason(t, { ...noProtection, names: ['postgres-0'] })).toContain('postgres-0');
    expect(protectionReason(t, { ...noProtection, names: ['pod-1'] })).toBeDefined();
    expect(protectionReason(t, { namespaces: ['default'], labels: ['tier=web', 'zone'], names: ['other'] })).toBeUndefined();
  });
});

describe('selectTargets', () => {
  const candidates = [
    target('a', { namespace: 'shop' }),
    target('b', { namespace: 'kube-system' }),
    target('c', { namespace: 'shop', tier: 'db' }),
    target('d', { namespace: 'shop', critical: 'no' }),
    target('e', { namespace: 'shop' }, 'payments-primary'),
    target('f', { namespace: 'shop', tier: 'web' }),
  ];

  it('excludes protected namespaces, labels (k=v and bare k) and names', () => {
    const protection: ProtectionPolicy = { namespaces: ['kube-system'], labels: ['tier=db', 'critical'], names: ['payments-primary'] };
    const sel = selectTargets(candidates, { kind: 'all' }, wide, protection, 1);
    expect(sel.selected.map((x) => x.id)).toEqual(['a', 'f']);
    expect(sel.protectedOut.map((x) => x.id)).toEqual(['b', 'c', 'd', 'e']);
    expect(sel.candidates).toBe(6);
  });

  it('a k=v label only protects that value', () => {
    const sel = selectTargets(candidates, { kind: 'all' }, wide, { ...noProtection, labels: ['tier=db'] }, 1);
    expect(sel.selected.map((x) => x.id)).toContain('f');
    expect(sel.selected.map((x) => x.id)).not.toContain('c');
  });

  it('all protected → protected_target naming them', () => {
    const err = refusal(() => selectTargets(candidates, { kind: 'one' }, wide, { ...noProtection, namespaces: ['shop', 'kube-system'] }, 1));
    expect(err.code).toBe('protected_target');
    expect(err.details.protected).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('no candidates → no_targets', () => {
    expect(refusal(() => selectTargets([], { kind: 'one' }, wide, noProtection, 1)).code).toBe('no_targets');
  });

  it('more than maxTargets → blast_radius_exceeded', () => {
    const err = refusal(() => selectTargets(fleet(10), { kind: 'count', n: 4 }, { maxTargets: 3, maxPercent: 100 }, noProtection, 1));
    expect(err.code).toBe('blast_radius_exceeded');
    expect(err.details).toMatchObject({ count: 4, cap: 3 });
    expect(selectTargets(fleet(10), { kind: 'count', n: 3 }, { maxTargets: 3, maxPercent: 100 }, noProtection, 1).selected).toHaveLength(3);
  });

  it('more than maxPercent of the eligible set → blast_radius_exceeded', () => {
    const err = refusal(() => selectTargets(fleet(10), { kind: 'all' }, { maxTargets: 100, maxPercent: 50 }, noProtection, 1));
    expect(err.code).toBe('blast_radius_exceeded');
    expect(err.details).toMatchObject({ count: 10, of: 10, capPercent: 50 });
    expect(selectTargets(fleet(10), { kind: 'percent', n: 50 }, { maxTargets: 100, maxPercent: 50 }, noProtection, 1).selected).toHaveLength(5);
  });

  it('never refuses a radius of one, nor a single-object target, by maxPercent', () => {
    const caps = { maxTargets: 5, maxPercent: 50 };
    expect(selectTargets(fleet(1), { kind: 'one' }, caps, noProtection, 1).selected).toHaveLength(1);
    expect(selectTargets(fleet(1), { kind: 'all' }, caps, noProtection, 1).selected).toHaveLength(1);
    expect(selectTargets(fleet(1), { kind: 'percent', n: 100 }, caps, noProtection, 1).selected).toHaveLength(1);
    expect(selectTargets(fleet(2), { kind: 'one' }, { maxTargets: 5, maxPercent: 10 }, noProtection, 1).selected).toHaveLength(1);
    // two of two is still more than half
    const two = refusal(() => selectTargets(fleet(2), { kind: 'all' }, caps, noProtection, 1));
    expect(two.code).toBe('blast_radius_exceeded');
    expect(two.message).toBe('blast radius all would hit 2 of 2 targets (100 %); the cap is 50 %');
    // maxTargets still holds for one
    expect(refusal(() => selectTargets(fleet(3), { kind: 'count', n: 2 }, { maxTargets: 1, maxPercent: 100 }, noProtection, 1)).code).toBe('blast_radius_exceeded');
  });

  it('measures maxPercent against the population when the adapter names a larger one', () => {
    const caps = { maxTargets: 10, maxPercent: 67 };
    // a zone of 2 nodes in a cluster of 6 is a third of the cluster
    expect(selectTargets(fleet(2), { kind: 'all' }, caps, noProtection, 1, { population: 6 }).selected).toHaveLength(2);
    const most = refusal(() => selectTargets(fleet(3), { kind: 'all' }, caps, noProtection, 1, { population: 4 }));
    expect(most.message).toBe('blast radius all would hit 3 of 4 in all (75 %); the cap is 67 %');
    expect(most.details).toMatchObject({ count: 3, of: 4 });
    // a population smaller than the candidates never loosens the cap
    expect(refusal(() => selectTargets(fleet(3), { kind: 'all' }, caps, noProtection, 1, { population: 1 })).code).toBe('blast_radius_exceeded');
  });

  it('same seed → same choice, regardless of input order; selection sorted by id', () => {
    const base = fleet(20);
    const shuffled = [...base].reverse();
    const rotated = [...base.slice(7), ...base.slice(0, 7)];
    const radius = { kind: 'count', n: 4 } as const;
    const a = selectTargets(base, radius, wide, noProtection, 1234).selected.map((t) => t.id);
    expect(selectTargets(shuffled, radius, wide, noProtection, 1234).selected.map((t) => t.id)).toEqual(a);
    expect(selectTargets(rotated, radius, wide, noProtection, 1234).selected.map((t) => t.id)).toEqual(a);
    expect([...a].sort()).toEqual(a);
    expect(new Set(a).size).toBe(4);
  });

  it('different seeds eventually choose differently', () => {
    const choices = new Set<string>();
    for (let seed = 0; seed < 50; seed++) choices.add(selectTargets(fleet(20), { kind: 'one' }, wide, noProtection, seed).selected[0]!.id);
    expect(choices.size).toBeGreaterThan(1);
  });

  it('seededRandom is deterministic and within [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('does not mutate the candidate list', () => {
    const list = fleet(5).reverse();
    const copy = structuredClone(list);
    selectTargets(list, { kind: 'count', n: 2 }, wide, noProtection, 9);
    expect(list).toEqual(copy);
  });
});

describe('protection with label keys that exist on every object', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('a bare protected label %j matches only targets that carry it', (key) => {
    const plain = target('a', { namespace: 'shop' });
    expect(protectionReason(plain, { ...noProtection, labels: [key] })).toBeUndefined();
    expect(protectionReason(plain, { ...noProtection, labels: [`${key}=x`] })).toBeUndefined();
    const carrying = target('b', { namespace: 'shop', [key]: 'x' });
    if (key !== '__proto__') expect(protectionReason(carrying, { ...noProtection, labels: [key] })).toBeDefined();
  });
});
