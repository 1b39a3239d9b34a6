import { podReady } from './kube-objects.js';
import { fieldOf, isRecord, type KubeObject, metaOf, nameOf, strOf } from './kube-types.js';

/** Ownership and ordering helpers shared by the stand-in's controller and eviction logic. */

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export function controllerRef(obj: KubeObject): OwnerRef | undefined {
  const refs = metaOf(obj).ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = refs.find((r) => isRecord(r) && r.controller === true);
  return isRecord(ref) ? { kind: String(ref.kind), name: String(ref.name), uid: String(ref.uid) } : undefined;
}

export function ownerRefTo(kind: string, owner: KubeObject): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind, name: nameOf(owner), uid: metaOf(owner).uid, controller: true, blockOwnerDeletion: true };
}

export const replicasOf = (obj: KubeObject): number => {
  const r = fieldOf(obj, 'spec').replicas;
  return typeof r === 'number' ? r : 1;
};
export const nodeOf = (pod: KubeObject): string | undefined => strOf(fieldOf(pod, 'spec').nodeName);
export const phaseOf = (pod: KubeObject): string => String(fieldOf(pod, 'status').phase ?? '');

export function ordinal(pod: KubeObject): number {
  const m = /-(\d+)$/.exec(nameOf(pod));
  return m ? Number(m[1]) : -1;
}

/** The ReplicaSet controller's preference when scaling down: unscheduled, then not ready, then newest. */
export function scaleDownOrder(a: KubeObject, b: KubeObject): number {
  const rank = (p: KubeObject) => (nodeOf(p) ? 0 : 2) + (podReady(p) ? 0 : 1);
  const byRank = rank(b) - rank(a);
  if (byRank !== 0) return byRank;
  const ca = String(metaOf(a).creationTimestamp ?? '');
  const cb = String(metaOf(b).creationTimestamp ?? '');
  return cb.localeCompare(ca) || nameOf(b).localeCompare(nameOf(a));
}
