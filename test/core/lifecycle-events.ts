import type { ExperimentRecord, ExperimentState, RunPhase } from '../../src/core/experiment.js';
import { transition, type LifecycleEvent, type TransitionResult } from '../../src/core/lifecycle.js';
import { authority, bob, carol, makeRecord, MIN, openLimits, policy, STATE_PHASES, T0 } from './fixtures.js';

/** One well-formed event of every type; each passes its own checks when the state allows it. */
export function sampleEvent(type: LifecycleEvent['type'], hash: string): LifecycleEvent {
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

export const EVENT_TYPES: ReadonlyArray<LifecycleEvent['type']> = [
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

export const where = (state: ExperimentState, phase: RunPhase | null) => (phase ? `${state}/${phase}` : state);

export interface LegalTransition {
  key: string;
  before: ExperimentRecord;
  event: LifecycleEvent;
  result: TransitionResult;
}

/** Every state/phase × event the machine accepts, with what it returned (refusals are left out). */
export function legalTransitions(now: number): LegalTransition[] {
  const out: LegalTransition[] = [];
  for (const [state, phase] of STATE_PHASES) {
    for (const type of EVENT_TYPES) {
      const before = makeRecord(state, phase);
      const event = sampleEvent(type, before.planHash);
      let result: TransitionResult;
      try {
        result = transition(before, event, now);
      } catch {
        continue;
      }
      out.push({ key: `${type} @ ${where(state, phase)}`, before, event, result });
    }
  }
  return out;
}
