import { podReady } from './kube-objects.js';
import { controllerRef } from './kube-owners.js';
import type { ResourceType } from './kube-resources.js';
import { selectorMatches } from './kube-selectors.js';
import { KubeApiError, badRequest, failure, internalError, type KubeStatus, success } from './kube-status.js';
import type { KubeStore } from './kube-store.js';
import { fieldOf, isRecord, type KubeObject, labelsOf, metaOf, nameOf, nowIso } from './kube-types.js';

export interface PolicyTypes {
  pods: ResourceType;
  pdbs: ResourceType;
  replicasets: ResourceType;
  statefulsets: ResourceType;
}

export interface BudgetFigures {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
}

/** An int-or-percent against a total, rounded up as the disruption controller does. */
function scaled(v: unknown, total: number): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Math.ceil((total * Number(v.slice(0, -1))) / 100);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function matchingPods(store: KubeStore, t: PolicyTypes, pdb: KubeObject): KubeObject[] {
  const ns = metaOf(pdb).namespace as string | undefined;
  const selector = fieldOf(pdb, 'spec').selector;
  return store.values(t.pods, ns ?? null).filter((p) => selectorMatches(selector, labelsOf(p)));
}

/** Expected pods: the scale of each controller owning a matching pod, plus one per uncontrolled pod. */
function expectedCount(store: KubeStore, t: PolicyTypes, pods: KubeObject[]): number {
  const owners = new Map<string, number>();
  let loose = 0;
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) {
      loose += 1;
      continue;
    }
    const type = ref.kind === 'ReplicaSet' ? t.replicasets : ref.kind === 'StatefulSet' ? t.statefulsets : undefined;
    const owner = type ? store.peek(type, String(metaOf(pod).namespace), ref.name) : undefined;
    const replicas = owner ? fieldOf(owner, 'spec').replicas : undefined;
    owners.set(ref.uid, typeof replicas === 'number' ? replicas : (owners.get(ref.uid) ?? 0) + 1);
  }
  return loose + [...owners.values()].reduce((a, b) => a + b, 0);
}

export function budgetFigures(store: KubeStore, t: PolicyTypes, pdb: KubeObject): BudgetFigures {
  const pods = matchingPods(store, t, pdb);
  const spec = fieldOf(pdb, 'spec');
  const expectedPods = expectedCount(store, t, pods);
  const currentHealthy = pods.filter(podReady).length;
  let desiredHealthy = 0;
  const maxUnavailable = scaled(spec.maxUnavailable, expectedPods);
  const minAvailable = scaled(spec.minAvailable, expectedPods);
  if (maxUnavailable !== undefined) desiredHealthy = Math.max(0, expectedPods - maxUnavailable);
  else if (minAvailable !== undefined) desiredHealthy = minAvailable;
  return { expectedPods, currentHealthy, desiredHealthy, disruptionsAllowed: Math.max(0, currentHealthy - desiredHealthy) };
}

/** The status the disruption controller would have written, computed now. */
export function withBudgetStatus(store: KubeStore, t: PolicyTypes, pdb: KubeObject): KubeObject {
  const f = budgetFigures(store, t, pdb);
  const generation = metaOf(pdb).generation;
  const allowed = f.disruptionsAllowed > 0;
  return {
    ...pdb,
    status: {
      observedGeneration: generation,
      disruptionsAllowed: f.disruptionsAllowed,
      currentHealthy: f.currentHealthy,
      desiredHealthy: f.desiredHealthy,
      expectedPods: f.expectedPods,
      conditions: [
        {
          type: 'DisruptionAllowed',
          status: allowed ? 'True' : 'False',
          reason: allowed ? 'SufficientPods' : 'InsufficientPods',
          message: '',
          observedGeneration: generation,
          lastTransitionTime: String(metaOf(pdb).creationTimestamp ?? nowIso()),
        },
      ],
    },
  };
}

function violates(pdbName: string, f: BudgetFigures): KubeApiError {
  return new KubeApiError(
    failure(429, 'TooManyRequests', "Cannot evict pod as it would violate the pod's disruption budget.", {
      causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} needs ${f.desiredHealthy} healthy pods and has ${f.currentHealthy} currently` }],
    }),
  );
}

/**
 * POST pods/<name>/eviction (policy/v1 Eviction). Pods that are not running are deleted without consulting
 * budgets; otherwise the one matching PodDisruptionBudget must allow a disruption, or the answer is 429.
 */
export function evictPod(store: KubeStore, t: PolicyTypes, ns: string, name: string, body: unknown, dryRunQuery: boolean): KubeStatus {
  if (!isRecord(body)) throw badRequest('the body of an eviction must be a policy/v1 Eviction object');
  const evictionName = fieldOf(body, 'metadata').name;
  if (evictionName !== undefined && evictionName !== name) throw badRequest('name in URL does not match name in Eviction object');
  const pod = store.mustGet(t.pods, ns, name);
  const options = isRecord(body.deleteOptions) ? body.deleteOptions : {};
  const dryRun = dryRunQuery || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
  const pre = isRecord(options.preconditions) ? options.preconditions : {};
  const remove = (): KubeStatus => {
    store.remove(t.pods, ns, name, {
      dryRun,
      preconditions: { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) },
    });
    return success(201);
  };
  const phase = fieldOf(pod, 'status').phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending') return remove();
  const pdbs = store.values(t.pdbs, ns).filter((p) => selectorMatches(fieldOf(p, 'spec').selector, labelsOf(pod)));
  if (pdbs.length > 1) throw internalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = pdbs[0];
  if (!pdb) return remove();
  const f = budgetFigures(store, t, pdb);
  if (!podReady(pod)) {
    const policy = fieldOf(pdb, 'spec').unhealthyPodEvictionPolicy;
    if (policy === 'AlwaysAllow' || (f.currentHealthy >= f.desiredHealthy && f.desiredHealthy > 0)) return remove();
  }
  if (f.disruptionsAllowed === 0) throw violates(nameOf(pdb), f);
  return remove();
}
