import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/core/actor.js';
import { experimentCard } from '../../src/core/experiment-card.js';
import { partialApplied, partialMissed, type PartialApplication } from '../../src/core/experiment.js';
import { decideVerdict, transition } from '../../src/core/lifecycle.js';
import { makeRecord, T0, MIN } from './fixtures.js';

/** A fault that went in only in part: said when injected, and the run cannot end "held". */

const partial: PartialApplication = { applied: 3, intended: 5, unit: 'pods', action: 'evicted', reason: 'PodDisruptionBudget cart-pdb' };

describe('a partly applied fault', () => {
  it('reads as a sentence', () => {
    expect(partialMissed(partial)).toBe('2 of 5 pods not evicted: PodDisruptionBudget cart-pdb');
    expect(partialApplied(partial)).toBe('only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb)');
  });

  it('is recorded at injection and said as a warning', () => {
    const injecting = makeRecord('running', 'injecting');
    const { state, effects } = transition(injecting, { type: 'injected', endsAt: T0 + 9 * MIN, partial }, T0 + 4 * MIN);
    expect(state.partial).toEqual(partial);
    expect(state.phase).toBe('observing');
    expect(effects[0]).toEqual({
      type: 'notify',
      tone: 'warning',
      text: 'fault injected, but only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb); watching guardrails (the verdict can be no better than inconclusive)',
    });
    expect(transition(injecting, { type: 'injected', endsAt: T0 + 9 * MIN }, T0 + 4 * MIN).state.partial).toBeUndefined();
  });

  it('ends inconclusive, saying why, where a full fault would have held', () => {
    const post = makeRecord('running', 'postchecking', { partial });
    const { state, effects } = transition(post, { type: 'postchecked', passed: true }, T0 + 10 * MIN);
    expect(state).toMatchObject({ state: 'completed', verdict: 'inconclusive' });
    expect(effects[0]).toMatchObject({ text: 'post-check passed; completed, verdict: inconclusive (the fault went in only in part: only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb))' });
  });

  it('still refutes: a breach, or a steady state that did not return, under less than the planned fault', () => {
    expect(decideVerdict(makeRecord('running', 'postchecking', { partial }), false)).toBe('refuted');
    const breached = makeRecord('running', 'postchecking', { partial, abort: { by: SYSTEM, at: T0, reason: 'guardrail breached', code: 'guardrail_breach' } });
    expect(decideVerdict(breached, true)).toBe('refuted');
    expect(decideVerdict(makeRecord('running', 'postchecking'), true)).toBe('held');
  });

  it('shows on the card', () => {
    const card = experimentCard(makeRecord('running', 'observing', { partial }), { hypothesis: 'h', approvers: [], now: T0 + 4 * MIN });
    expect(card.fields).toContainEqual({ label: 'Partly applied', value: 'only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb)' });
  });
});
