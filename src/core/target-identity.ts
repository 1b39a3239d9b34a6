import type { Plan } from './experiment.js';
import type { ResolvedTarget, TargetScope } from './ports.js';

/**
 * What "the same target" means for the one-experiment-per-target rule: the resolved object, named by
 * adapter, cluster (when the target lives in one) and the adapter's own id, which already carries
 * kind, namespace and name (`kubernetes:prod:deployment/shop/web`, `process:checkout-2`).
 */
export function targetIdentity(adapter: string, t: Pick<ResolvedTarget, 'id' | 'attributes'>): string {
  const cluster = t.attributes.cluster;
  return cluster ? `${adapter}:${cluster}:${t.id}` : `${adapter}:${t.id}`;
}

/** Joins a container's identity and the contained object's id: `kubernetes:prod:node/n1>pod/shop/web-1`. */
const CONTAINS = '>';

/**
 * Everything an experiment holds while it runs: each target's identity, and for each thing the
 * target lives in (`within`: a pod's node and workload) the path `container>target`. Two plans
 * overlap when they hold the same string, or when one holds a container the other holds a path
 * under (a drain of node-a1 and a pod-delete of a pod on node-a1; a scale-down of shop/web and a
 * network fault on a pod of shop/web). Two pods of one node do not overlap.
 *
 * Not detected: a node fault against a workload fault whose pods run on that node (a workload does
 * not list its pods' nodes); pods that moved onto a node after the other plan was resolved; what a
 * fault reaches beyond its targets (dependency-down's dependency pods, a drain's evicted pods that
 * are not targets of anything else); two kubeconfig contexts that name the same cluster.
 */
export function heldIdentities(plan: Pick<Plan, 'adapter' | 'targets'>): string[] {
  const out = new Set<string>();
  for (const t of plan.targets) {
    out.add(targetIdentity(plan.adapter, t));
    for (const container of t.within ?? []) out.add(`${targetIdentity(plan.adapter, { id: container, attributes: t.attributes })}${CONTAINS}${t.id}`);
  }
  return [...out];
}

export interface Overlap {
  /** The identity both hold, or the container one of them holds. */
  object: string;
  /** Readable: "kubernetes:prod:pod/shop/web-1 in kubernetes:prod:node/node-a1". */
  text: string;
}

function describeHeld(held: string): { object: string; text: string } {
  const at = held.indexOf(CONTAINS);
  if (at < 0) return { object: held, text: held };
  const container = held.slice(0, at);
  const prefix = container.slice(0, container.lastIndexOf(':') + 1);
  return { object: container, text: `${prefix}${held.slice(at + 1)} in ${container}` };
}

/** What two sets of held identities share: the same object, or one holding what contains the other's. */
export function overlapsOf(mine: readonly string[], theirs: readonly string[]): Overlap[] {
  const found = new Map<string, Overlap>();
  for (const a of mine) {
    for (const b of theirs) {
      let hit: Overlap | undefined;
      if (a === b) hit = a.includes(CONTAINS) ? undefined : { object: a, text: a };
      else if (a.startsWith(`${b}${CONTAINS}`)) hit = describeHeld(a);
      else if (b.startsWith(`${a}${CONTAINS}`)) hit = describeHeld(b);
      if (hit && !found.has(hit.text)) found.set(hit.text, hit);
    }
  }
  return [...found.values()];
}

const distinct = (values: ReadonlyArray<string | undefined>): string[] => [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))].sort();

/** The plan's scope as its adapter named it, or as far as the resolved targets tell (cluster, namespace, kind). */
export function scopeOfPlan(plan: Pick<Plan, 'selector' | 'targets' | 'scope'>): TargetScope {
  if (plan.scope) return plan.scope;
  const cluster = distinct(plan.targets.map((t) => t.attributes.cluster)).join(',');
  const namespace = distinct(plan.targets.map((t) => t.attributes.namespace)).join(',');
  const selection = Object.entries(plan.selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return {
    ...(cluster ? { cluster } : {}),
    ...(namespace ? { namespace } : {}),
    kind: distinct(plan.targets.map((t) => t.kind)).join(',') || 'target',
    selection: selection || '(all)',
  };
}
