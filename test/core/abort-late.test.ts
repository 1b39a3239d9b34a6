import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/core/actor.js';
import { transition } from '../../src/core/lifecycle.js';
import { makeRecord } from './fixtures.js';

describe('an abort that arrives after the fault is already being reverted', () => {
  it('changes nothing: a run that reached its duration keeps its clean end', () => {
    const r = makeRecord('running', 'reverting');
    const { state, effects } = transition(r, { type: 'abort', actor: { id: 'dana' }, reason: 'late', code: 'manual' }, 5_000);
    expect(state.abort).toBeNull();
    expect(effects).toEqual([]);
    const done = transition(transition(state, { type: 'reverted' }, 6_000).state, { type: 'postchecked', passed: true }, 7_000).state;
    expect(done.state).toBe('completed');
    expect(done.verdict).toBe('held');
  });

  it('keeps the first abort reason when one was already recorded', () => {
    const first = transition(makeRecord('running', 'observing'), { type: 'abort', actor: SYSTEM, reason: 'breach', code: 'guardrail_breach' }, 1_000).state;
    const again = transition(first, { type: 'abort', actor: { id: 'dana' }, reason: 'me too', code: 'manual' }, 2_000).state;
    expect(again.abort?.reason).toBe('breach');
  });
});
