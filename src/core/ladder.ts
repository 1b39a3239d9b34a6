import { FaultlineError } from './errors.js';
import type { Plan } from './experiment.js';

/** One finished run as the ladder and the history see it. */
export interface PastRun {
  id: string;
  scope: string;
  faultType: string;
  blastRadius: string;
  targets: number;
  candidates: number;
  verdict: 'held' | 'refuted' | 'inconclusive' | null;
  state: string;
  endedAt: number;
}

/** What "the same target" means for the ladder and the history: the adapter and the selector. */
export function scopeOf(plan: Pick<Plan, 'adapter' | 'selector'>): string {
  const sel = Object.entries(plan.selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${plan.adapter}:${sel || '*'}`;
}

/**
 * "Start small": a run that hits more than one target needs a run of the same fault on the same
 * target that held at a smaller radius within the window. Throws `ladder` naming what to run first.
 */
export function checkLadder(plan: Plan, history: readonly PastRun[], windowMs: number, now: number): void {
  if (plan.targets.length <= 1) return;
  const scope = scopeOf(plan);
  const since = now - windowMs;
  const smallerHeld = history.find(
    (r) => r.scope === scope && r.faultType === plan.fault.type && r.verdict === 'held' && r.targets < plan.targets.length && r.endedAt >= since,
  );
  if (smallerHeld) return;
  const days = Math.round(windowMs / 86_400_000);
  throw new FaultlineError(
    'ladder',
    `start small: ${plan.fault.type} on ${scope} at ${plan.targets.length} targets needs a run that held at a smaller radius in the last ${days} days; propose ${plan.experiment} blastRadius=one first`,
    { scope, fault: plan.fault.type, targets: plan.targets.length },
  );
}

export interface ScopeHistory {
  scope: string;
  runs: PastRun[];
  /** The most targets a run of this scope held at, with its radius as written. */
  largestHeld: { targets: number; candidates: number; blastRadius: string; id: string } | null;
}

/** Past runs grouped per target scope, newest first, with the largest radius that held. */
export function historyByScope(runs: readonly PastRun[]): ScopeHistory[] {
  const groups = new Map<string, PastRun[]>();
  for (const r of [...runs].sort((a, b) => b.endedAt - a.endedAt)) groups.set(r.scope, [...(groups.get(r.scope) ?? []), r]);
  return [...groups.entries()].map(([scope, list]) => {
    const held = list.filter((r) => r.verdict === 'held').sort((a, b) => b.targets - a.targets)[0];
    return { scope, runs: list, largestHeld: held ? { targets: held.targets, candidates: held.candidates, blastRadius: held.blastRadius, id: held.id } : null };
  });
}
