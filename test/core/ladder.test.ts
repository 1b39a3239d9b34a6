import { describe, expect, it } from 'vitest';
import { checkLadder, historyByScope, scopeOf, type PastRun } from '../../src/core/ladder.js';
import { isFaultlineError } from '../../src/core/errors.js';
import { makePlan } from './fixtures.js';

const DAY = 86_400_000;
const now = 100 * DAY;
const run = (over: Partial<PastRun>): PastRun => ({ id: 'exp-1', scope: 'memory:service=web', faultType: 'latency', blastRadius: 'one', targets: 1, candidates: 4, verdict: 'held', state: 'completed', endedAt: now - DAY, ...over });

describe('the start-small ladder', () => {
  const plan = (targets: number) => {
    const p = makePlan();
    return { ...p, adapter: 'memory', selector: { service: 'web' }, fault: { type: 'latency', parameters: {} }, targets: Array.from({ length: targets }, (_, i) => ({ id: `t${i}`, name: `t${i}`, kind: 'x', attributes: {} })) };
  };

  it('lets a single-target run through with no history', () => {
    expect(() => checkLadder(plan(1), [], 30 * DAY, now)).not.toThrow();
  });

  it('refuses a larger radius without a smaller run that held, naming what to run first', () => {
    try {
      checkLadder(plan(2), [], 30 * DAY, now);
      expect.unreachable();
    } catch (err) {
      expect(isFaultlineError(err, 'ladder')).toBe(true);
      expect((err as Error).message).toMatch(/blastRadius=one first/);
    }
  });

  it.each([
    ['a smaller run that held', run({}), true],
    ['a smaller run that was refuted', run({ verdict: 'refuted' }), false],
    ['a smaller run of another fault', run({ faultType: 'kill' }), false],
    ['a smaller run on another target', run({ scope: 'memory:service=db' }), false],
    ['a run of the same size', run({ targets: 2 }), false],
    ['a smaller run that held too long ago', run({ endedAt: now - 31 * DAY }), false],
  ])('%s → allowed: %s', (_what, past, allowed) => {
    const attempt = () => checkLadder(plan(2), [past], 30 * DAY, now);
    if (allowed) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(/start small/);
  });

  it('groups history by scope with the largest radius that held', () => {
    const h = historyByScope([run({ id: 'a', targets: 1 }), run({ id: 'b', targets: 2, blastRadius: 'percent:50', endedAt: now }), run({ id: 'c', targets: 4, verdict: 'refuted', blastRadius: 'all' }), run({ id: 'd', scope: 'memory:service=db' })]);
    expect(h.map((g) => g.scope)).toEqual(['memory:service=web', 'memory:service=db']);
    expect(h[0]!.runs[0]!.id).toBe('b');
    expect(h[0]!.largestHeld).toMatchObject({ id: 'b', targets: 2, blastRadius: 'percent:50' });
    expect(scopeOf({ adapter: 'k', selector: { b: '2', a: '1' } })).toBe('k:a=1,b=2');
  });
});
