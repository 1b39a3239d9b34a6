import { formatBlastRadius, radiusCount, type BlastRadius } from './blast-radius-spec.js';
import { FaultlineError } from './errors.js';
import type { ResolvedTarget } from './ports.js';

export interface ProtectionPolicy {
  /** Targets whose `namespace` attribute is one of these are never selected. */
  namespaces: readonly string[];
  /** `key=value` labels; a target carrying any of them is never selected. */
  labels: readonly string[];
  /** Target ids or names that are never selected. */
  names: readonly string[];
}

export interface BlastRadiusCaps {
  /** Most targets one experiment may hit. */
  maxTargets: number;
  /** Most of the candidate set, in percent, one experiment may hit. */
  maxPercent: number;
}

export interface Selection {
  selected: ResolvedTarget[];
  protectedOut: ResolvedTarget[];
  candidates: number;
}

export function protectionReason(t: ResolvedTarget, p: ProtectionPolicy): string | undefined {
  const ns = t.attributes.namespace;
  if (ns !== undefined && p.namespaces.includes(ns)) return `namespace ${ns} is protected`;
  for (const label of p.labels) {
    const [k, v] = label.split('=', 2) as [string, string | undefined];
    if (Object.hasOwn(t.attributes, k) && (v === undefined || t.attributes[k] === v)) return `label ${label} is protected`;
  }
  if (p.names.includes(t.id) || p.names.includes(t.name)) return `${t.name} is protected`;
  return undefined;
}

/** A small deterministic PRNG so the random choice can be replayed from the journaled seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Drops protected candidates, applies the radius with a seeded choice and enforces the caps.
 * Sorting first makes the choice depend only on the candidate ids and the seed.
 */
export function selectTargets(candidates: ResolvedTarget[], radius: BlastRadius, caps: BlastRadiusCaps, protection: ProtectionPolicy, seed: number): Selection {
  const sorted = [...candidates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const protectedOut = sorted.filter((t) => protectionReason(t, protection) !== undefined);
  const eligible = sorted.filter((t) => protectionReason(t, protection) === undefined);
  if (eligible.length === 0) {
    throw new FaultlineError(
      protectedOut.length > 0 ? 'protected_target' : 'no_targets',
      protectedOut.length > 0
        ? `every matching target is protected (${protectedOut.map((t) => t.name).join(', ')})`
        : 'the selector matches no targets',
      { protected: protectedOut.map((t) => t.id) },
    );
  }
  const count = radiusCount(radius, eligible.length);
  if (count > caps.maxTargets) {
    throw new FaultlineError('blast_radius_exceeded', `blast radius ${formatBlastRadius(radius)} would hit ${count} targets; the cap is ${caps.maxTargets}`, {
      count,
      cap: caps.maxTargets,
    });
  }
  const percent = (count / eligible.length) * 100;
  if (percent > caps.maxPercent) {
    throw new FaultlineError(
      'blast_radius_exceeded',
      `blast radius ${formatBlastRadius(radius)} would hit ${count} of ${eligible.length} targets (${Math.round(percent)} %); the cap is ${caps.maxPercent} %`,
      { count, of: eligible.length, capPercent: caps.maxPercent },
    );
  }
  const rand = seededRandom(seed);
  const pool = [...eligible];
  const selected: ResolvedTarget[] = [];
  while (selected.length < count) {
    const i = Math.floor(rand() * pool.length);
    selected.push(...pool.splice(i, 1));
  }
  selected.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { selected, protectedOut, candidates: candidates.length };
}

export interface OrgLimits {
  halted: { reason: string; by: string } | null;
  maxConcurrent: number;
  /** Experiments running now, with the target ids they hold. */
  running: ReadonlyArray<{ id: string; targetIds: readonly string[] }>;
}

/** Org-wide rules checked at start: the kill switch, the concurrency cap, one experiment per target. */
export function checkOrgLimits(experimentId: string, targetIds: readonly string[], limits: OrgLimits): void {
  if (limits.halted) {
    throw new FaultlineError('halted', `chaos is halted by ${limits.halted.by}: ${limits.halted.reason}; nothing starts until /chaos resume`, {
      ...limits.halted,
    });
  }
  const others = limits.running.filter((r) => r.id !== experimentId);
  if (others.length >= limits.maxConcurrent) {
    throw new FaultlineError('concurrency_cap', `${others.length} experiment(s) already running; the org-wide cap is ${limits.maxConcurrent}`, {
      running: others.map((r) => r.id),
    });
  }
  for (const other of others) {
    const shared = other.targetIds.filter((id) => targetIds.includes(id));
    if (shared.length > 0) {
      throw new FaultlineError('target_busy', `${shared.join(', ')} already under experiment ${other.id}; one experiment per target at a time`, {
        other: other.id,
        targets: shared,
      });
    }
  }
}
