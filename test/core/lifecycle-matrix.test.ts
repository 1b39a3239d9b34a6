import { describe, expect, it } from 'vitest';
import { isFaultlineError, type ErrorCode } from '../../src/core/errors.js';
import type { ExperimentState, RunPhase } from '../../src/core/experiment.js';
import { transition, type Effect } from '../../src/core/lifecycle.js';
import { makeRecord, MIN, STATE_PHASES, T0 } from './fixtures.js';
import { EVENT_TYPES, sampleEvent, where } from './lifecycle-events.js';

const NOW = T0 + 5 * MIN;

interface Expected {
  state: ExperimentState;
  phase: RunPhase | null;
  effects: Effect['type'][];
}

/**
 * Every legal (event, state/phase) pair, written out by hand so that a change in the machine fails here.
 * The run's next step is the phase (the runner takes it from the stored record); the only effect is a notice.
 */
const LEGAL: Record<string, Expected> = {
  'approve @ proposed': { state: 'approved', phase: null, effects: ['notify'] },
  'reject @ proposed': { state: 'rejected', phase: null, effects: ['notify'] },
  'reject @ approved': { state: 'rejected', phase: null, effects: ['notify'] },
  'cancel @ proposed': { state: 'cancelled', phase: null, effects: ['notify'] },
  'cancel @ approved': { state: 'cancelled', phase: null, effects: ['notify'] },
  'expire @ proposed': { state: 'expired', phase: null, effects: ['notify'] },
  'expire @ approved': { state: 'expired', phase: null, effects: ['notify'] },
  'start @ approved': { state: 'running', phase: 'prechecking', effects: ['notify'] },
  'precheck-passed @ running/prechecking': { state: 'running', phase: 'injecting', effects: [] },
  'precheck-failed @ running/prechecking': { state: 'aborted', phase: null, effects: ['notify'] },
  'injected @ running/injecting': { state: 'running', phase: 'observing', effects: ['notify'] },
  'inject-failed @ running/injecting': { state: 'running', phase: 'reverting', effects: ['notify'] },
  'duration-elapsed @ running/observing': { state: 'running', phase: 'reverting', effects: ['notify'] },
  'abort @ proposed': { state: 'cancelled', phase: null, effects: ['notify'] },
  'abort @ approved': { state: 'cancelled', phase: null, effects: ['notify'] },
  'abort @ running/prechecking': { state: 'aborted', phase: null, effects: ['notify'] },
  'abort @ running/injecting': { state: 'running', phase: 'reverting', effects: ['notify'] },
  'abort @ running/observing': { state: 'running', phase: 'reverting', effects: ['notify'] },
  'abort @ running/reverting': { state: 'running', phase: 'reverting', effects: [] },
  'abort @ running/postchecking': { state: 'running', phase: 'postchecking', effects: [] },
  'reverted @ running/reverting': { state: 'running', phase: 'postchecking', effects: ['notify'] },
  'revert-failed @ running/reverting': { state: 'failed', phase: null, effects: ['notify'] },
  'postchecked @ running/postchecking': { state: 'completed', phase: null, effects: ['notify'] },
};

/** Refusals that are more specific than illegal_transition. */
const REFUSED: Record<string, ErrorCode> = {
  // A proposal that was never approved is told why, not merely "illegal".
  'start @ proposed': 'approval_missing',
};

const cases = STATE_PHASES.flatMap(([state, phase]) => EVENT_TYPES.map((type) => ({ state, phase, type, key: `${type} @ ${where(state, phase)}` })));

describe('lifecycle transition matrix', () => {
  it('covers every state/phase × event (13 × 14)', () => {
    expect(cases).toHaveLength(13 * 14);
    for (const key of [...Object.keys(LEGAL), ...Object.keys(REFUSED)]) {
      expect(cases.map((c) => c.key)).toContain(key);
    }
  });

  it.each(cases)('$key', ({ state, phase, type, key }) => {
    const exp = makeRecord(state, phase);
    const event = sampleEvent(type, exp.planHash);
    const legal = LEGAL[key];
    if (legal) {
      const result = transition(exp, event, NOW);
      expect({ state: result.state.state, phase: result.state.phase }).toEqual({ state: legal.state, phase: legal.phase });
      expect(result.effects.map((e) => e.type)).toEqual(legal.effects);
      expect(result.state.updatedAt).toBe(NOW);
      if (result.state.state !== 'running') expect(result.state.phase).toBeNull();
      return;
    }
    let caught: unknown;
    try {
      transition(exp, event, NOW);
    } catch (err) {
      caught = err;
    }
    const code = REFUSED[key] ?? 'illegal_transition';
    expect(isFaultlineError(caught, code), `${key} should throw ${code}, got ${String(caught)}`).toBe(true);
    if (code === 'illegal_transition') {
      expect(isFaultlineError(caught) && caught.details).toMatchObject({ experimentId: exp.id, state, phase, event: type });
      expect(String((caught as Error).message)).toContain(where(state, phase));
    }
  });

  it('no event leaves a terminal state', () => {
    const terminal = STATE_PHASES.filter(([s]) => !['proposed', 'approved', 'running'].includes(s));
    expect(terminal).toHaveLength(6);
    for (const [state, phase] of terminal) {
      for (const type of EVENT_TYPES) {
        const exp = makeRecord(state, phase);
        expect(() => transition(exp, sampleEvent(type, exp.planHash), NOW)).toThrowError(expect.objectContaining({ code: 'illegal_transition' }));
      }
    }
  });
});
