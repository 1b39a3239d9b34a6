import { formatBlastRadius, radiusCount, type BlastRadius } from './blast-radius-spec.js';
import { FaultlineError } from './errors.js';
import type { ResolvedTarget } from './ports.js';
import { overlapsOf } from './target-identity.js';

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
 *
 * `maxPercent` is measured against the eligible candidates, or against `population` when the
 * adapter names a larger one (a zone's nodes against every node of the cluster). A radius of one,
 * and anything that hits a single object, is never refused by it: 1 of 1 is 100 % of nothing much.
 */
export function selectTargets(
  candidates: ResolvedTarget[],
  radius: BlastRadius,
  caps: BlastRadiusCaps,
  protection: ProtectionPolicy,
  seed: number,
  opts: { population?: number } = {},
): Selection {
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
  const population = Math.max(eligible.length, opts.population ?? 0);
  const percent = (count / population) * 100;
  if (radius.kind !== 'one' && count > 1 && percent > caps.maxPercent) {
    const of = population > eligible.length ? `${population} in all` : `${eligible.length} targets`;
    throw new FaultlineError(
      'blast_radius_exceeded',
      `blast radius ${formatBlastRadius(radius)} would hit ${count} of ${of} (${Math.round(percent)} %); the cap is ${caps.maxPercent} %`,
      { count, of: population, capPercent: caps.maxPercent },
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
  /** Experiments running now, with what they hold (`heldIdentities`, src/core/target-identity.ts). */
  running: ReadonlyArray<{ id: string; targetIds: readonly string[] }>;
}

/**
 * Org-wide rules checked at start: the kill switch, the concurrency cap, one experiment per target.
 * `targetIds` are held identities: the same object is the same string, and `container>object`
 * overlaps `container` (see overlapsOf).
 */
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
    const shared = overlapsOf(targetIds, other.targetIds);
    if (shared.length > 0) {
      throw new FaultlineError('target_busy', `${shared.map((o) => o.text).join(', ')} already under experiment ${other.id}; one experiment per target at a time`, {
        other: other.id,
        targets: [...new Set(shared.map((o) => o.object))],
      });
    }
  }
}
