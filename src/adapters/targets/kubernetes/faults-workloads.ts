/**
 * scale-down: one merge patch per workload sets the new replica count together with the ownership
 * labels and the original count (annotation), guarded by the resourceVersion just read — so the
 * cluster alone says how to revert, and nothing changes behind a stale read.
 */
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import { FaultlineError } from '../../../core/errors.js';
import type { FaultDeps, FaultResult, FaultRun } from './fault-context.js';
import { statusOf, type KubeClient } from './kube-client.js';
import { ANN_ORIGINAL_REPLICAS, LABEL_HANDLE, ownerAnnotations, ownerLabels } from './ownership.js';
import { withRetry } from './retry.js';
import type { KubernetesFaultParams } from './schema.js';
import { targetId, type TargetRef } from './targets.js';

type Workload = V1Deployment | V1StatefulSet;

export function readWorkload(client: KubeClient, ref: TargetRef, signal?: AbortSignal): Promise<Workload> {
  const name = ref.name;
  const namespace = ref.namespace ?? '';
  return client.call(
    `get ${targetId(ref)}`,
    (a, o) => (ref.kind === 'deployment' ? a.apps.readNamespacedDeployment({ name, namespace }, o) : a.apps.readNamespacedStatefulSet({ name, namespace }, o)),
    { signal },
  );
}

function patchWorkload(client: KubeClient, ref: TargetRef, body: Record<string, unknown>, signal?: AbortSignal): Promise<Workload> {
  const name = ref.name;
  const namespace = ref.namespace ?? '';
  return client.call(
    `patch ${targetId(ref)}`,
    (a, o) => (ref.kind === 'deployment' ? a.apps.patchNamespacedDeployment({ name, namespace, body }, o) : a.apps.patchNamespacedStatefulSet({ name, namespace, body }, o)),
    { signal, mergePatch: true },
  );
}

export function scaledReplicas(current: number, params: KubernetesFaultParams['scale-down']): number {
  if (params.replicas !== undefined) return params.replicas;
  return Math.max(0, current - Math.ceil((current * (params.percent ?? 0)) / 100));
}

function plan(ref: TargetRef, w: Workload, params: KubernetesFaultParams['scale-down'], handleId: string): { from: number; to: number } {
  const id = targetId(ref);
  const holder = w.metadata?.labels?.[LABEL_HANDLE];
  if (holder !== undefined && holder !== handleId) {
    throw new FaultlineError('inject_failed', `${id} is already under fault ${holder} (label ${LABEL_HANDLE}); revert that first`, { target: id, holder });
  }
  const from = w.spec?.replicas ?? 1;
  const to = scaledReplicas(from, params);
  if (to >= from) throw new FaultlineError('inject_failed', `${id} runs ${from} replica(s); scaling it to ${to} is not a scale-down`, { target: id, from, to });
  return { from, to };
}

export async function injectScaleDown(run: FaultRun<KubernetesFaultParams['scale-down']>, deps: FaultDeps): Promise<FaultResult> {
  const { params, ctx, refs } = run;
  const { client } = deps;
  // Read and check everything first, so one unfit workload changes nothing.
  const first = await Promise.all(refs.map(async (ref) => ({ ref, w: await readWorkload(client, ref, ctx.signal) })));
  for (const { ref, w } of first) plan(ref, w, params, ctx.handleId);
  const scaled: Array<{ target: string; from: number; to: number }> = [];
  for (const { ref, w: initial } of first) {
    let w: Workload = initial;
    const done = await withRetry(`scale ${targetId(ref)}`, deps.policy, deps.log, ctx.signal, async () => {
      if (w.metadata?.labels?.[LABEL_HANDLE] === ctx.handleId) {
        // An earlier try went through although its answer was lost: nothing more to change.
        return { from: Number(w.metadata.annotations?.[ANN_ORIGINAL_REPLICAS] ?? w.spec?.replicas ?? 1), to: w.spec?.replicas ?? 1 };
      }
      const p = plan(ref, w, params, ctx.handleId);
      ctx.note('scale-down', { target: targetId(ref), workloadKind: ref.kind, namespace: ref.namespace, name: ref.name, originalReplicas: p.from, replicas: p.to });
      const body = {
        metadata: {
          resourceVersion: w.metadata?.resourceVersion,
          labels: ownerLabels(ctx),
          annotations: ownerAnnotations(ctx, run.faultType, { [ANN_ORIGINAL_REPLICAS]: String(p.from) }),
        },
        spec: { replicas: p.to },
      };
      try {
        await patchWorkload(client, ref, body, ctx.signal);
      } catch (err) {
        // Changed under us (or an unanswered try went through): read it again before the next try.
        if (statusOf(err) === 409) w = await readWorkload(client, ref, ctx.signal);
        throw err;
      }
      return p;
    });
    run.applied.push({ kind: ref.kind === 'deployment' ? 'Deployment' : 'StatefulSet', namespace: ref.namespace ?? '', name: ref.name, originalReplicas: done.from });
    scaled.push({ target: targetId(ref), ...done });
    ctx.log.info({ handleId: ctx.handleId, target: targetId(ref), from: done.from, to: done.to }, 'workload scaled down');
  }
  return { scaled };
}
