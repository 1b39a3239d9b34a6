/**
 * Preview: exactly what a target would hit, as ResolvedTargets with stable ids
 * (`pod/<ns>/<name>`, `deployment/<ns>/<name>`, `statefulset/<ns>/<name>`, `node/<name>`).
 * Every list is paginated. Protection is not decided here: the core reads `attributes.namespace`
 * and the labels; only the opt-in rule (a label on the namespace itself) is checked here.
 */
import type { V1Deployment, V1Namespace, V1Node, V1ObjectMeta, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { FaultlineError } from '../../../core/errors.js';
import type { ResolvedTarget } from '../../../core/ports.js';
import type { KubeClient } from './kube-client.js';
import { LABEL_EXPERIMENT, LABEL_HANDLE, OPT_IN_LABEL, OPT_IN_VALUE, ZONE_LABEL } from './ownership.js';
import type { KubernetesTarget, KubernetesTargetConfig } from './schema.js';

export type TargetKind = 'pod' | 'deployment' | 'statefulset' | 'node';

export interface TargetRef {
  kind: TargetKind;
  namespace?: string;
  name: string;
}

export function targetId(ref: TargetRef): string {
  return ref.kind === 'node' ? `node/${ref.name}` : `${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function parseTargetId(id: string): TargetRef | undefined {
  const parts = id.split('/');
  const [kind, a, b] = parts;
  if (kind === 'node' && parts.length === 2 && a) return { kind, name: a };
  if ((kind === 'pod' || kind === 'deployment' || kind === 'statefulset') && parts.length === 3 && a && b) return { kind, namespace: a, name: b };
  return undefined;
}

export function selectorText(labels: Record<string, string> | undefined): string | undefined {
  const terms = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return terms.length > 0 ? terms.join(',') : undefined;
}

/** Labels as `label.<key>` and, so the core's protected-label rule can match them, under their own key too. */
function labelAttributes(labels: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k === LABEL_EXPERIMENT || k === LABEL_HANDLE) continue; // ours; not part of what the target is
    out[k] = v;
    out[`label.${k}`] = v;
  }
  return out;
}

function controllerOf(meta: V1ObjectMeta | undefined): string | undefined {
  const owner = meta?.ownerReferences?.find((o) => o.controller) ?? meta?.ownerReferences?.[0];
  return owner ? `${owner.kind}/${owner.name}` : undefined;
}

/**
 * The workload a pod belongs to, as a target id: its StatefulSet, or the Deployment behind its
 * ReplicaSet (named `<deployment>-<pod-template-hash>`). Undefined for anything else.
 */
function workloadOf(pod: V1Pod): string | undefined {
  const meta = pod.metadata;
  const owner = meta?.ownerReferences?.find((o) => o.controller) ?? meta?.ownerReferences?.[0];
  const namespace = meta?.namespace ?? '';
  if (!owner?.name) return undefined;
  if (owner.kind === 'StatefulSet') return targetId({ kind: 'statefulset', namespace, name: owner.name });
  const hash = meta?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) return targetId({ kind: 'deployment', namespace, name: owner.name.slice(0, -hash.length - 1) });
  return undefined;
}

export function podTarget(pod: V1Pod): ResolvedTarget {
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const owner = controllerOf(pod.metadata);
  const node = pod.spec?.nodeName;
  // What contains the pod, so an experiment on its node or its workload is seen to overlap one on the pod.
  const within = [...(node ? [targetId({ kind: 'node', name: node })] : []), ...[workloadOf(pod)].filter((w): w is string => w !== undefined)];
  return {
    id: targetId({ kind: 'pod', namespace: ns, name }),
    name,
    kind: 'pod',
    attributes: { ...labelAttributes(pod.metadata?.labels), namespace: ns, ...(owner ? { owner } : {}), ...(node ? { node } : {}) },
    ...(within.length > 0 ? { within } : {}),
  };
}

export function workloadTarget(kind: 'deployment' | 'statefulset', w: V1Deployment | V1StatefulSet): ResolvedTarget {
  const ns = w.metadata?.namespace ?? '';
  const name = w.metadata?.name ?? '';
  return {
    id: targetId({ kind, namespace: ns, name }),
    name,
    kind,
    attributes: { ...labelAttributes(w.metadata?.labels), namespace: ns, replicas: String(w.spec?.replicas ?? 1) },
  };
}

export function nodeTarget(node: V1Node): ResolvedTarget {
  const name = node.metadata?.name ?? '';
  const zone = node.metadata?.labels?.[ZONE_LABEL];
  return {
    id: targetId({ kind: 'node', name }),
    name,
    kind: 'node',
    attributes: { ...labelAttributes(node.metadata?.labels), ...(zone ? { zone } : {}), cordoned: String(node.spec?.unschedulable === true) },
  };
}

function matchesAnnotations(meta: V1ObjectMeta | undefined, wanted: Record<string, string> | undefined): boolean {
  return Object.entries(wanted ?? {}).every(([k, v]) => meta?.annotations?.[k] === v);
}

const live = (pod: V1Pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

const byId = (a: ResolvedTarget, b: ResolvedTarget) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function joinFieldSelectors(...parts: Array<string | undefined>): string | undefined {
  const terms = parts.filter((p): p is string => p !== undefined && p !== '');
  return terms.length > 0 ? terms.join(',') : undefined;
}

/** In opt-in mode, refuses a namespace that does not carry `faultline.dev/chaos=enabled`. */
export async function assertOptedIn(client: KubeClient, namespace: string, signal?: AbortSignal): Promise<void> {
  const opted = await client.listAll<V1Namespace>(
    'list opted-in namespaces',
    (a, q, o) => a.core.listNamespace({ labelSelector: `${OPT_IN_LABEL}=${OPT_IN_VALUE}`, ...q }, o),
    { signal },
  );
  if (!opted.some((n) => n.metadata?.name === namespace)) {
    throw new FaultlineError('protected_target', `namespace ${namespace} has not opted in to chaos: label it ${OPT_IN_LABEL}=${OPT_IN_VALUE} (the kubernetes adapter runs in opt-in mode)`, {
      namespace,
    });
  }
}

export async function previewTargets(spec: Omit<KubernetesTarget, 'blastRadius'>, deps: { client: KubeClient; config: KubernetesTargetConfig }, signal?: AbortSignal): Promise<ResolvedTarget[]> {
  const { client, config } = deps;
  const labelSelector = selectorText(spec.selector);
  if (spec.nodeSelector !== undefined || spec.zone !== undefined) {
    const nodeLabels = { ...spec.nodeSelector, ...(spec.zone ? { [ZONE_LABEL]: spec.zone } : {}), ...(config.optInNamespaces ? { [OPT_IN_LABEL]: OPT_IN_VALUE } : {}) };
    const nodes = await client.listAll<V1Node>('list nodes', (a, q, o) => a.core.listNode({ labelSelector: selectorText(nodeLabels), fieldSelector: spec.fieldSelector, ...q }, o), { signal });
    return nodes.filter((n) => matchesAnnotations(n.metadata, spec.annotations)).map(nodeTarget).sort(byId);
  }
  const namespace = spec.namespace ?? config.namespace;
  if (config.optInNamespaces) await assertOptedIn(client, namespace, signal);
  if (spec.kind !== undefined) {
    const fieldSelector = joinFieldSelectors(spec.fieldSelector, spec.name ? `metadata.name=${spec.name}` : undefined);
    const kind = spec.kind === 'Deployment' ? 'deployment' : 'statefulset';
    const items =
      kind === 'deployment'
        ? await client.listAll<V1Deployment>(`list deployments in ${namespace}`, (a, q, o) => a.apps.listNamespacedDeployment({ namespace, labelSelector, fieldSelector, ...q }, o), { signal })
        : await client.listAll<V1StatefulSet>(`list statefulsets in ${namespace}`, (a, q, o) => a.apps.listNamespacedStatefulSet({ namespace, labelSelector, fieldSelector, ...q }, o), { signal });
    return items
      .filter((w) => (spec.name === undefined || w.metadata?.name === spec.name) && matchesAnnotations(w.metadata, spec.annotations))
      .map((w) => workloadTarget(kind, w))
      .sort(byId);
  }
  const pods = await client.listAll<V1Pod>(
    `list pods in ${namespace}`,
    (a, q, o) => a.core.listNamespacedPod({ namespace, labelSelector, fieldSelector: spec.fieldSelector, ...q }, o),
    { signal },
  );
  return pods.filter((p) => live(p) && matchesAnnotations(p.metadata, spec.annotations)).map(podTarget).sort(byId);
}
