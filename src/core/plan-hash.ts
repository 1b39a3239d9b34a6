import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { Plan } from './experiment.js';

export { canonicalJson };

/** An approval binds to this hash: any change to targets, fault, duration or guardrails voids it. */
export function planHash(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
