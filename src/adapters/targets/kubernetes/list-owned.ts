/**
 * listOwned: everything in the cluster carrying `faultline.dev/experiment`, found with paginated
 * label-selector lists and regrouped into handles from the labels and annotations alone — so a
 * crash between an API call and the journal write still leaves something reconcile can revert.
 */
import type { V1Deployment, V1NetworkPolicy, V1Node, V1ObjectMeta, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { AdapterLogger, FaultHandle, ResolvedTarget } from '../../../core/ports.js';
import { CHAOS_MESH_GROUP, chaosMeshVersion } from './faults-chaos-mesh.js';
import { describeKubeError, type CallOptions, type KubeClient } from './kube-client.js';
import { ANN_APPLIED_AT, ANN_EXPIRES_AT, ANN_FAULT, ANN_ORIGINAL_REPLICAS, LABEL_EXPERIMENT, LABEL_HANDLE, type OwnedObject } from './ownership.js';
import { CHAOS_MESH_KINDS } from './schema.js';
import { nodeTarget, podTarget, targetId, workloadTarget } from './targets.js';

/**
 * What each object itself says (in `data.marks`, in the order of `data.objects`), for the janitor, which
 * decides from the cluster alone: its own expiry (null when the annotation is missing or unreadable) and,
 * for a workload, whether the original replica count was recorded on it.
 */
export interface ObjectMark {
  expiresAt: number | null;
  replicasRecorded?: boolean;
}

interface Group {
  handleId: string;
  experimentId: string;
  faultType: string;
  appliedAt: number;
  expiresAt: number;
  objects: OwnedObject[];
  marks: ObjectMark[];
  targets: ResolvedTarget[];
}

interface CustomObject {
  metadata?: V1ObjectMeta;
  spec?: { selector?: { pods?: Record<string, string[]> } };
}

export const NO_ORIGINAL_REPLICAS = 'labelled workload has no original replica count; revert keeps its current count';

const parsedTime = (text: string | undefined): number | null => {
  const t = text ? Date.parse(text) : NaN;
  return Number.isFinite(t) ? t : null;
};
const time = (text: string | undefined): number => parsedTime(text) ?? 0;

export async function listOwnedHandles(client: KubeClient, log: AdapterLogger, opts: CallOptions): Promise<FaultHandle[]> {
  const labelSelector = LABEL_EXPERIMENT;
  const groups = new Map<string, Group>();
  const add = (meta: V1ObjectMeta | undefined, object: OwnedObject, targets: ResolvedTarget[] = [], extra: Omit<ObjectMark, 'expiresAt'> = {}) => {
    const handleId = meta?.labels?.[LABEL_HANDLE];
    if (!handleId) {
      // Not written by Faultline (every object it marks carries both labels): leave it to a person.
      log.warn({ object: `${object.kind}/${meta?.namespace ?? ''}/${meta?.name ?? ''}`, experiment: meta?.labels?.[LABEL_EXPERIMENT] }, 'object has an experiment label but no handle label; not reverting it');
      return;
    }
    const ann = meta?.annotations ?? {};
    const g = groups.get(handleId) ?? {
      handleId,
      experimentId: meta?.labels?.[LABEL_EXPERIMENT] ?? '',
      faultType: ann[ANN_FAULT] ?? 'unknown',
      appliedAt: time(ann[ANN_APPLIED_AT]),
      expiresAt: 0,
      objects: [],
      marks: [],
      targets: [],
    };
    const expiresAt = parsedTime(ann[ANN_EXPIRES_AT]);
    // The bot writes one expiry on every object of a handle; if they differ, the latest one holds.
    if (expiresAt !== null && expiresAt > g.expiresAt) g.expiresAt = expiresAt;
    g.objects.push(object);
    g.marks.push({ expiresAt, ...extra });
    for (const t of targets) if (!g.targets.some((x) => x.id === t.id)) g.targets.push(t);
    groups.set(handleId, g);
  };

  const [pods, deployments, statefulsets, nodes, policies] = await Promise.all([
    client.listAll<V1Pod>('list labelled pods', (a, q, o) => a.core.listPodForAllNamespaces({ labelSelector, ...q }, o), opts),
    client.listAll<V1Deployment>('list labelled deployments', (a, q, o) => a.apps.listDeploymentForAllNamespaces({ labelSelector, ...q }, o), opts),
    client.listAll<V1StatefulSet>('list labelled statefulsets', (a, q, o) => a.apps.listStatefulSetForAllNamespaces({ labelSelector, ...q }, o), opts),
    client.listAll<V1Node>('list labelled nodes', (a, q, o) => a.core.listNode({ labelSelector, ...q }, o), opts),
    client.listAll<V1NetworkPolicy>('list labelled networkpolicies', (a, q, o) => a.net.listNetworkPolicyForAllNamespaces({ labelSelector, ...q }, o), opts),
  ]);
  for (const p of pods) add(p.metadata, { kind: 'Pod', namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '' }, [podTarget(p)]);
  const workload = (kind: 'Deployment' | 'StatefulSet', w: V1Deployment | V1StatefulSet) => {
    const text = w.metadata?.annotations?.[ANN_ORIGINAL_REPLICAS];
    const recorded = text !== undefined && /^\d+$/.test(text) ? Number(text) : NaN;
    const originalReplicas = Number.isInteger(recorded) ? recorded : (w.spec?.replicas ?? 1);
    if (!Number.isInteger(recorded)) log.warn({ workload: `${kind}/${w.metadata?.namespace}/${w.metadata?.name}` }, NO_ORIGINAL_REPLICAS);
    add(w.metadata, { kind, namespace: w.metadata?.namespace ?? '', name: w.metadata?.name ?? '', originalReplicas }, [workloadTarget(kind === 'Deployment' ? 'deployment' : 'statefulset', w)], {
      replicasRecorded: Number.isInteger(recorded),
    });
  };
  for (const d of deployments) workload('Deployment', d);
  for (const s of statefulsets) workload('StatefulSet', s);
  for (const n of nodes) add(n.metadata, { kind: 'Node', name: n.metadata?.name ?? '' }, [nodeTarget(n)]);
  for (const np of policies) add(np.metadata, { kind: 'NetworkPolicy', namespace: np.metadata?.namespace ?? '', name: np.metadata?.name ?? '' });

  for (const [kind, plural] of Object.entries(CHAOS_MESH_KINDS)) {
    let version: string | undefined;
    try {
      version = await chaosMeshVersion(client, plural, opts);
    } catch (err) {
      // Not fatal: Chaos Mesh ends its own resources at their duration.
      log.warn({ crd: `${plural}.${CHAOS_MESH_GROUP}`, err: describeKubeError(err) }, 'could not check a Chaos Mesh CRD; its resources are not listed');
      continue;
    }
    if (version === undefined) continue;
    const v = version;
    const items = await client.listAll<CustomObject>(
      `list labelled ${plural}`,
      (a, q, o) => a.custom.listClusterCustomObject({ group: CHAOS_MESH_GROUP, version: v, plural, labelSelector, ...q }, o) as Promise<{ items: CustomObject[]; metadata?: { _continue?: string; continue?: string } }>,
      opts,
    );
    for (const cr of items) {
      const namespace = cr.metadata?.namespace ?? '';
      const selected = Object.entries(cr.spec?.selector?.pods ?? {}).flatMap(([ns, names]) =>
        (Array.isArray(names) ? names : []).map((name) => ({ id: targetId({ kind: 'pod', namespace: ns, name }), name, kind: 'pod', attributes: { namespace: ns } })),
      );
      add(cr.metadata, { kind: 'Chaos', chaosKind: kind, plural, version: v, namespace, name: cr.metadata?.name ?? '' }, selected);
    }
  }

  return [...groups.values()]
    .sort((a, b) => a.handleId.localeCompare(b.handleId))
    .map((g) => ({
      handleId: g.handleId,
      experimentId: g.experimentId,
      adapter: 'kubernetes',
      faultType: g.faultType,
      targets: g.targets.sort((a, b) => a.id.localeCompare(b.id)),
      appliedAt: g.appliedAt,
      expiresAt: g.expiresAt,
      data: { objects: g.objects, marks: g.marks, rebuilt: true },
    }));
}
