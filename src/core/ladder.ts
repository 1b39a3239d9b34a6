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

/**
 * The adapter and the selector as written: what a schedule compares before anything is resolved.
 * The ladder and the history use `targetScope`, which tells a node drain from a scale-down.
 */
export function scopeOf(plan: Pick<Plan, 'adapter' | 'selector'>): string {
  const sel = Object.entries(plan.selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${plan.adapter}:${sel || '*'}`;
}

/**
 * What "the same target" means for the ladder and the history: what the adapter says the plan
 * targets — cluster, namespace, kind and which ones (`kubernetes:prod/shop deployment name=web`,
 * `kubernetes:prod node zone=eu-west-1a`). A plan whose adapter names no scope falls back to
 * `scopeOf` (adapter and selector).
 */
export function targetScope(plan: Pick<Plan, 'adapter' | 'selector' | 'scope'>): string {
  const s = plan.scope;
  if (!s) return scopeOf(plan);
  const where = [s.cluster, s.namespace].filter((x) => x !== undefined && x !== '').join('/');
  return `${plan.adapter}:${where ? `${where} ` : ''}${s.kind} ${s.selection}`;
}

/**
 * "Start small": a run that hits more than one target needs a run of the same fault on the same
 * target that held at a smaller radius within the window. Throws `ladder` naming what to run first.
 */
export function checkLadder(plan: Plan, history: readonly PastRun[], windowMs: number, now: number): void {
  if (plan.targets.length <= 1) return;
  const scope = targetScope(plan);
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
