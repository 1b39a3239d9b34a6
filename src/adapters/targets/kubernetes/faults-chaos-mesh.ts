/**
 * chaos-mesh: what Kubernetes alone cannot do (latency, loss, HTTP aborts, CPU stress, clock skew)
 * through Chaos Mesh's own resources. The selector is set to exactly the approved pods, and
 * `spec.duration` to the time left, so Chaos Mesh ends the fault itself even if Faultline is gone.
 */
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { FaultlineError } from '../../../core/errors.js';
import { byNamespace, type FaultDeps, type FaultResult, type FaultRun } from './fault-context.js';
import { describeKubeError, statusBody, statusOf, type CallOptions, type KubeClient } from './kube-client.js';
import { createdName, ownerAnnotations, ownerLabels } from './ownership.js';
import { withRetry } from './retry.js';
import { CHAOS_MESH_KINDS, type ChaosMeshKind, type KubernetesFaultParams } from './schema.js';
import { targetId } from './targets.js';

export const CHAOS_MESH_GROUP = 'chaos-mesh.org';

/** The served version of a Chaos Mesh kind, or undefined when its CRD is not installed. */
export async function chaosMeshVersion(client: KubeClient, plural: string, opts: CallOptions = {}): Promise<string | undefined> {
  let crd: V1CustomResourceDefinition;
  try {
    crd = await client.call(`get crd ${plural}.${CHAOS_MESH_GROUP}`, (a, o) => a.ext.readCustomResourceDefinition({ name: `${plural}.${CHAOS_MESH_GROUP}` }, o), opts);
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
  const versions = crd.spec?.versions ?? [];
  return (versions.find((v) => v.served && v.storage) ?? versions.find((v) => v.served))?.name ?? 'v1alpha1';
}

/** Seconds left until expiry, as Chaos Mesh writes durations ("90s"). */
export function chaosDuration(expiresAt: number, now: number): string {
  return `${Math.max(1, Math.ceil((expiresAt - now) / 1000))}s`;
}

export async function injectChaosMesh(run: FaultRun<KubernetesFaultParams['chaos-mesh']>, deps: FaultDeps): Promise<FaultResult> {
  const { ctx, params } = run;
  const kind: ChaosMeshKind = params.kind;
  const plural = CHAOS_MESH_KINDS[kind];
  let version: string | undefined;
  try {
    version = await chaosMeshVersion(deps.client, plural, { signal: ctx.signal });
  } catch (err) {
    throw new FaultlineError('inject_failed', `could not check whether Chaos Mesh is installed (crd ${plural}.${CHAOS_MESH_GROUP}): ${describeKubeError(err)}`, {}, { cause: err });
  }
  if (version === undefined) {
    throw new FaultlineError('inject_failed', `Chaos Mesh is not installed: no ${plural}.${CHAOS_MESH_GROUP} CRD (install Chaos Mesh, or use a fault Kubernetes does alone)`, { crd: `${plural}.${CHAOS_MESH_GROUP}` });
  }
  const groups = byNamespace(run.refs);
  const namespaces = [...groups.keys()];
  const duration = chaosDuration(ctx.expiresAt, ctx.now());
  const resources = [...groups].map(([namespace, refs]) => ({
    apiVersion: `${CHAOS_MESH_GROUP}/${version}`,
    kind,
    metadata: { name: createdName(ctx.handleId, namespace, namespaces), namespace, labels: ownerLabels(ctx), annotations: ownerAnnotations(ctx, run.faultType) },
    spec: { ...params.spec, mode: 'all', selector: { namespaces: [namespace], pods: { [namespace]: refs.map((r) => r.name) } }, duration },
  }));
  ctx.note('chaos-mesh', { chaosKind: kind, version, duration, resources: resources.map((r) => ({ namespace: r.metadata.namespace, name: r.metadata.name, spec: r.spec })) });
  for (const body of resources) {
    const { namespace, name } = body.metadata;
    await withRetry(`create ${plural}/${namespace}/${name}`, deps.policy, deps.log, ctx.signal, async () => {
      try {
        await deps.client.call(
          `create ${plural}.${CHAOS_MESH_GROUP}/${namespace}/${name}`,
          (a, o) => a.custom.createNamespacedCustomObject({ group: CHAOS_MESH_GROUP, version, namespace, plural, body }, o),
          { signal: ctx.signal },
        );
      } catch (err) {
        if (statusOf(err) === 409 && statusBody(err)?.reason === 'AlreadyExists') return; // an unanswered try went through
        throw err;
      }
    });
    run.applied.push({ kind: 'Chaos', chaosKind: kind, plural, version, namespace, name });
  }
  ctx.log.info({ handleId: ctx.handleId, kind, resources: resources.map((r) => `${r.metadata.namespace}/${r.metadata.name}`), duration }, 'chaos mesh resource created');
  return { chaosKind: kind, duration, resources: resources.map((r) => `${plural}.${CHAOS_MESH_GROUP}/${r.metadata.namespace}/${r.metadata.name}`), pods: run.refs.map(targetId) };
}
