/**
 * What a drain does to each pod of a node, decided the same way for the preview (shown on the card)
 * and the inject: evicted, or left where it is because it belongs to a DaemonSet, is a mirror pod,
 * is protected (namespace or label), or sits in a namespace that has not opted in (opt-in mode).
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client.js';
import { isProtectedPod, OPT_IN_LABEL, OPT_IN_VALUE } from './ownership.js';
import type { KubernetesTargetConfig } from './schema.js';

export type LeaveReason = 'daemonset' | 'mirror' | 'protected' | 'not-opted-in';

export interface NodePods {
  node: string;
  evict: V1Pod[];
  leave: Array<{ pod: V1Pod; why: LeaveReason }>;
}

const MAX_NAMES = 8;

export const podId = (p: V1Pod) => `pod/${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

const live = (p: V1Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** The namespaces labelled `faultline.dev/chaos=enabled`, or null when the adapter is not in opt-in mode. */
export async function optedInNamespaces(client: KubeClient, config: Pick<KubernetesTargetConfig, 'optInNamespaces'>, signal?: AbortSignal): Promise<Set<string> | null> {
  if (!config.optInNamespaces) return null;
  const opted = await client.listAll<V1Namespace>(
    'list opted-in namespaces',
    (a, q, o) => a.core.listNamespace({ labelSelector: `${OPT_IN_LABEL}=${OPT_IN_VALUE}`, ...q }, o),
    { signal },
  );
  return new Set(opted.map((n) => n.metadata?.name ?? '').filter(Boolean));
}

/** The live pods scheduled on a node, in every namespace (paginated). */
export async function podsOn(client: KubeClient, node: string, signal?: AbortSignal): Promise<V1Pod[]> {
  const pods = await client.listAll<V1Pod>(`list pods on node/${node}`, (a, q, o) => a.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}`, ...q }, o), { signal });
  return pods.filter(live);
}

export function classifyPods(node: string, pods: readonly V1Pod[], config: Pick<KubernetesTargetConfig, 'protectedNamespaces' | 'protectedLabels'>, optedIn: ReadonlySet<string> | null): NodePods {
  const out: NodePods = { node, evict: [], leave: [] };
  for (const p of pods) {
    if (p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) out.leave.push({ pod: p, why: 'daemonset' });
    else if (p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) out.leave.push({ pod: p, why: 'mirror' });
    else if (isProtectedPod(p, config)) out.leave.push({ pod: p, why: 'protected' });
    else if (optedIn && !optedIn.has(p.metadata?.namespace ?? '')) out.leave.push({ pod: p, why: 'not-opted-in' });
    else out.evict.push(p);
  }
  return out;
}

const WHY_TEXT: Record<LeaveReason, string> = { daemonset: 'daemonset', mirror: 'mirror pod', protected: 'protected', 'not-opted-in': 'namespace not opted in' };

function names(items: readonly string[]): string {
  const sorted = [...items].sort();
  return sorted.length <= MAX_NAMES ? sorted.join(', ') : `${sorted.slice(0, MAX_NAMES).join(', ')} … and ${sorted.length - MAX_NAMES} more`;
}

/** One line per node and namespace: "node-b1 · shop: evicts cart-1, web-2; leaves vault-0 (protected)". */
export function describeNodePods(plan: NodePods): string[] {
  const byNs = new Map<string, { evict: string[]; leave: string[] }>();
  const at = (p: V1Pod) => {
    const ns = p.metadata?.namespace ?? '';
    const entry = byNs.get(ns) ?? { evict: [], leave: [] };
    byNs.set(ns, entry);
    return entry;
  };
  for (const p of plan.evict) at(p).evict.push(p.metadata?.name ?? '');
  for (const { pod, why } of plan.leave) at(pod).leave.push(`${pod.metadata?.name ?? ''} (${WHY_TEXT[why]})`);
  if (byNs.size === 0) return [`${plan.node}: no pods on it`];
  return [...byNs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ns, e]) => {
      const parts = [...(e.evict.length > 0 ? [`evicts ${names(e.evict)}`] : []), ...(e.leave.length > 0 ? [`leaves ${names(e.leave)}`] : [])];
      return `${plan.node} · ${ns}: ${parts.join('; ')}`;
    });
}

/** The card's preview of a drain: per node and namespace, what it would evict and what it leaves. */
export async function previewDrain(client: KubeClient, config: KubernetesTargetConfig, nodes: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const optedIn = await optedInNamespaces(client, config, signal);
  const lines: string[] = [];
  for (const node of nodes) lines.push(...describeNodePods(classifyPods(node, await podsOn(client, node, signal), config, optedIn)));
  return lines;
}
