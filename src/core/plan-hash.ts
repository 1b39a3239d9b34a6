import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { Plan } from './experiment.js';

export { canonicalJson };

/**
 * An approval binds to this hash: any change to targets, fault, duration or guardrails voids it.
 * What the plan shows around its targets (a drain's pods, the size of the cluster) changes with
 * every pod that moves and is left out; the caps are checked against it again at start.
 */
export function planHash(plan: Plan): string {
  const { impact: _impact, population: _population, ...approved } = plan;
  return createHash('sha256').update(canonicalJson(approved)).digest('hex');
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
