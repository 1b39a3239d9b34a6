import { describe, expect, it } from 'vitest';
import { isFaultlineError, type ErrorCode } from '../../src/core/errors.js';
import type { ExperimentState, RunPhase } from '../../src/core/experiment.js';
import { transition, type Effect, type LifecycleEvent } from '../../src/core/lifecycle.js';
import { authority, bob, carol, makeRecord, MIN, openLimits, policy, STATE_PHASES, T0 } from './fixtures.js';

const NOW = T0 + 5 * MIN;

/** One well-formed event of every type; each passes its own checks when the state allows it. */
function sampleEvent(type: LifecycleEvent['type'], hash: string): LifecycleEvent {
  switch (type) {
    case 'approve':
      return { type, actor: bob, currentPlanHash: hash, policy };
    case 'reject':
      return { type, actor: bob, reason: 'not during the sale', authority };
    case 'cancel':
      return { type, actor: carol, reason: 'changed our minds', authority };
    case 'expire':
      return { type };
    case 'start':
      return { type, actor: carol, currentPlanHash: hash, limits: openLimits, targetIds: ['checkout-1'], authority };
    case 'precheck-passed':
      return { type };
    case 'precheck-failed':
      return { type, reason: 'p99 is 900ms' };
    case 'injected':
      return { type, endsAt: T0 + 5 * MIN };
    case 'inject-failed':
      return { type, reason: 'process not found' };
    case 'duration-elapsed':
      return { type };
    case 'abort':
      return { type, actor: carol, reason: 'customer incident', code: 'manual', authority };
    case 'reverted':
      return { type };
    case 'revert-failed':
      return { type, reason: 'permission denied' };
    case 'postchecked':
      return { type, passed: true };
  }
}

const EVENT_TYPES: ReadonlyArray<LifecycleEvent['type']> = [
  'approve',
  'reject',
  'cancel',
  'expire',
  'start',
  'precheck-passed',
  'precheck-failed',
  'injected',
  'inject-failed',
  'duration-elapsed',
  'abort',
  'reverted',
  'revert-failed',
  'postchecked',
];

interface Expected {
  state: ExperimentState;
  phase: RunPhase | null;
  effects: Effect['type'][];
}

const where = (state: ExperimentState, phase: RunPhase | null) => (phase ? `${state}/${phase}` : state);

/** Every legal (event, state/phase) pair, written out by hand so that a change in the machine fails here. */
const LEGAL: Record<string, Expected> = {
  'approve @ proposed': { state: 'approved', phase: null, effects: ['notify'] },
  'reject @ proposed': { state: 'rejected', phase: null, effects: ['notify'] },
  'reject @ approved': { state: 'rejected', phase: null, effects: ['notify'] },
  'cancel @ proposed': { state: 'cancelled', phase: null, effects: ['notify'] },
  'cancel @ approved': { state: 'cancelled', phase: null, effects: ['notify'] },
  'expire @ proposed': { state: 'expired', phase: null, effects: ['notify'] },
  'expire @ approved': { state: 'expired', phase: null, effects: ['notify'] },
  'start @ approved': { state: 'running', phase: 'prechecking', effects: ['notify', 'run-prechecks'] },
  'precheck-passed @ running/prechecking': { state: 'running', phase: 'injecting', effects: ['inject'] },
  'precheck-failed @ running/prechecking': { state: 'aborted', phase: null, effects: ['notify', 'draft-postmortem'] },
  'injected @ running/injecting': { state: 'running', phase: 'observing', effects: ['notify', 'observe'] },
  'inject-failed @ running/injecting': { state: 'running', phase: 'reverting', effects: ['notify', 'revert'] },
  'duration-elapsed @ running/observing': { state: 'running', phase: 'reverting', effects: ['notify', 'revert'] },
  'abort @ proposed': { state: 'cancelled', phase: null, effects: ['notify'] },
  'abort @ approved': { state: 'cancelled', phase: null, effects: ['notify'] },
  'abort @ running/prechecking': { state: 'aborted', phase: null, effects: ['notify', 'draft-postmortem'] },
  'abort @ running/injecting': { state: 'running', phase: 'reverting', effects: ['notify', 'revert'] },
  'abort @ running/observing': { state: 'running', phase: 'reverting', effects: ['notify', 'revert'] },
  'abort @ running/reverting': { state: 'running', phase: 'reverting', effects: [] },
  'abort @ running/postchecking': { state: 'running', phase: 'postchecking', effects: [] },
  'reverted @ running/reverting': { state: 'running', phase: 'postchecking', effects: ['notify', 'run-postchecks'] },
  'revert-failed @ running/reverting': { state: 'failed', phase: null, effects: ['notify', 'draft-postmortem'] },
  'postchecked @ running/postchecking': { state: 'completed', phase: null, effects: ['notify', 'draft-postmortem'] },
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
