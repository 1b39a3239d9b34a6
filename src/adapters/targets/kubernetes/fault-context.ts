import type { AdapterLogger, ResolvedTarget, TargetContext } from '../../../core/ports.js';
import type { KubeClient } from './kube-client.js';
import type { OwnedObject } from './ownership.js';
import type { RetryPolicy } from './retry.js';
import type { KubernetesFaultType, KubernetesTargetConfig } from './schema.js';
import type { TargetRef } from './targets.js';

export interface FaultDeps {
  client: KubeClient;
  config: KubernetesTargetConfig;
  policy: RetryPolicy;
  log: AdapterLogger;
  now: () => number;
}

/** One inject: parsed parameters, the approved targets, and `applied`, which grows as objects change. */
export interface FaultRun<P> {
  faultType: KubernetesFaultType;
  params: P;
  targets: ResolvedTarget[];
  refs: TargetRef[];
  ctx: TargetContext;
  /** Every object changed so far, pushed right after its API call succeeds (rolled back if inject fails). */
  applied: OwnedObject[];
}

/** Fault-specific facts for the handle's `data` (what was deleted, which evictions were refused, …). */
export type FaultResult = Record<string, unknown>;

/** Target refs grouped by namespace, in a stable order. */
export function byNamespace(refs: readonly TargetRef[]): Map<string, TargetRef[]> {
  const out = new Map<string, TargetRef[]>();
  for (const r of [...refs].sort((a, b) => (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name))) {
    const ns = r.namespace ?? '';
    out.set(ns, [...(out.get(ns) ?? []), r]);
  }
  return out;
}
