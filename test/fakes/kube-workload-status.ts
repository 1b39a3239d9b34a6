import { podReady } from './kube-objects.js';
import { shortHash } from './kube-resources.js';
import { fieldOf, isRecord, type KubeObject, metaOf, nameOf, nowIso } from './kube-types.js';

/** Status blocks the workload controllers write, with zero counts omitted as the Go types do (omitempty). */

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

function withoutZeros(status: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) if (v !== 0 && v !== undefined) out[k] = v;
  return out;
}

/** Keeps a condition's timestamps while its status does not change, so a no-op reconcile writes nothing. */
function conditions(old: unknown, next: Condition[]): Condition[] {
  const prior = Array.isArray(old) ? old.filter(isRecord) : [];
  const at = nowIso();
  return next.map((c) => {
    const was = prior.find((p) => p.type === c.type);
    if (was && was.status === c.status && was.reason === c.reason) {
      return { ...c, lastUpdateTime: String(was.lastUpdateTime ?? at), lastTransitionTime: String(was.lastTransitionTime ?? at) };
    }
    return { ...c, lastUpdateTime: at, lastTransitionTime: at };
  });
}

function counts(pods: KubeObject[]): { replicas: number; ready: number } {
  return { replicas: pods.length, ready: pods.filter(podReady).length };
}

const desiredOf = (obj: KubeObject): number => {
  const r = fieldOf(obj, 'spec').replicas;
  return typeof r === 'number' ? r : 1;
};

export function deploymentStatus(deploy: KubeObject, pods: KubeObject[]): Record<string, unknown> {
  const { replicas, ready } = counts(pods);
  const desired = desiredOf(deploy);
  const old = fieldOf(deploy, 'status');
  const rsName = `${nameOf(deploy)}-${shortHash(String(metaOf(deploy).uid))}`;
  return {
    ...withoutZeros({
      observedGeneration: metaOf(deploy).generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, desired - ready),
    }),
    conditions: conditions(old.conditions, [
      ready >= desired
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rsName}" has successfully progressed.` },
    ]),
  };
}

export function replicaSetStatus(rs: KubeObject, pods: KubeObject[]): Record<string, unknown> {
  const { replicas, ready } = counts(pods);
  return {
    replicas,
    ...withoutZeros({ fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: ready, observedGeneration: metaOf(rs).generation }),
  };
}

export function statefulSetStatus(sts: KubeObject, pods: KubeObject[]): Record<string, unknown> {
  const { replicas, ready } = counts(pods);
  const revision = `${nameOf(sts)}-${shortHash(String(metaOf(sts).uid))}`;
  return {
    observedGeneration: metaOf(sts).generation,
    replicas,
    ...withoutZeros({ readyReplicas: ready, currentReplicas: replicas, updatedReplicas: replicas }),
    availableReplicas: ready,
    currentRevision: revision,
    updateRevision: revision,
    collisionCount: 0,
  };
}
