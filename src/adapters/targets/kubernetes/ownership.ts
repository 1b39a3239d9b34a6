/**
 * What Faultline writes on every object it creates or changes, and how it reads it back: the labels
 * that let `listOwned` find them and the annotations that let `revert` undo them from the cluster
 * alone, after a crash that lost the journal's handle.
 */
import { z } from 'zod';
import type { TargetContext } from '../../../core/ports.js';

export const LABEL_EXPERIMENT = 'faultline.dev/experiment';
export const LABEL_HANDLE = 'faultline.dev/handle';
export const ANN_EXPIRES_AT = 'faultline.dev/expires-at';
export const ANN_APPLIED_AT = 'faultline.dev/applied-at';
export const ANN_FAULT = 'faultline.dev/fault';
/** On a workload: its replica count before the scale-down. */
export const ANN_ORIGINAL_REPLICAS = 'faultline.dev/original-replicas';
/** On a node: "true" when Faultline cordoned it (it was schedulable before). */
export const ANN_CORDONED = 'faultline.dev/cordoned';
/** Namespaces (and nodes) carrying this label may be targeted in opt-in mode. */
export const OPT_IN_LABEL = 'faultline.dev/chaos';
export const OPT_IN_VALUE = 'enabled';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

const OWN_ANNOTATIONS = [ANN_EXPIRES_AT, ANN_APPLIED_AT, ANN_FAULT, ANN_ORIGINAL_REPLICAS, ANN_CORDONED] as const;

/** One object a handle holds, with what is needed to undo it. */
export const OwnedObject = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('Pod'), namespace: z.string(), name: z.string() }),
  z.object({ kind: z.enum(['Deployment', 'StatefulSet']), namespace: z.string(), name: z.string(), originalReplicas: z.number().int().min(0) }),
  z.object({ kind: z.literal('Node'), name: z.string() }),
  z.object({ kind: z.literal('NetworkPolicy'), namespace: z.string(), name: z.string() }),
  z.object({ kind: z.literal('Chaos'), chaosKind: z.string(), plural: z.string(), version: z.string().default('v1alpha1'), namespace: z.string(), name: z.string() }),
]);
export type OwnedObject = z.infer<typeof OwnedObject>;

/** `handle.data` of this adapter. Fault-specific facts (kills, refused evictions) ride along. */
export const KubeHandleData = z.looseObject({
  objects: z.array(OwnedObject).default([]),
  /** True when the handle was rebuilt from the cluster rather than returned by inject. */
  rebuilt: z.boolean().optional(),
});
export type KubeHandleData = z.infer<typeof KubeHandleData>;

export function ownerLabels(ctx: Pick<TargetContext, 'experimentId' | 'handleId'>): Record<string, string> {
  return { [LABEL_EXPERIMENT]: ctx.experimentId, [LABEL_HANDLE]: ctx.handleId };
}

export function ownerAnnotations(ctx: Pick<TargetContext, 'expiresAt' | 'now'>, faultType: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [ANN_EXPIRES_AT]: new Date(ctx.expiresAt).toISOString(),
    [ANN_APPLIED_AT]: new Date(ctx.now()).toISOString(),
    [ANN_FAULT]: faultType,
    ...extra,
  };
}

/** The merge-patch metadata that removes everything Faultline added (null deletes a key). */
export function removalMetadata(): { labels: Record<string, null>; annotations: Record<string, null> } {
  return {
    labels: { [LABEL_EXPERIMENT]: null, [LABEL_HANDLE]: null },
    annotations: Object.fromEntries(OWN_ANNOTATIONS.map((k) => [k, null])),
  };
}

export const objectRef = (o: OwnedObject): string =>
  o.kind === 'Node' ? `node/${o.name}` : o.kind === 'Chaos' ? `${o.plural}.chaos-mesh.org/${o.namespace}/${o.name}` : `${o.kind.toLowerCase()}/${o.namespace}/${o.name}`;

/** The kubectl command that finishes undoing `o` by hand. */
export function kubectlUndo(o: OwnedObject): string {
  const unlabel = `${LABEL_EXPERIMENT}- ${LABEL_HANDLE}-`;
  const unannotate = OWN_ANNOTATIONS.map((k) => `${k}-`).join(' ');
  switch (o.kind) {
    case 'Pod':
      return `kubectl -n ${o.namespace} label pod ${o.name} ${unlabel}`;
    case 'Deployment':
    case 'StatefulSet': {
      const ref = `${o.kind.toLowerCase()}/${o.name}`;
      return `kubectl -n ${o.namespace} scale ${ref} --replicas=${o.originalReplicas} && kubectl -n ${o.namespace} label ${ref} ${unlabel} && kubectl -n ${o.namespace} annotate ${ref} ${unannotate}`;
    }
    case 'Node':
      return `kubectl uncordon ${o.name} && kubectl label node ${o.name} ${unlabel} && kubectl annotate node ${o.name} ${unannotate}`;
    case 'NetworkPolicy':
      return `kubectl -n ${o.namespace} delete networkpolicy ${o.name}`;
    case 'Chaos':
      return `kubectl -n ${o.namespace} delete ${o.plural}.chaos-mesh.org ${o.name}`;
  }
}

/** A Kubernetes label value cannot hold everything; our ids are short and plain, but check. */
export function assertLabelValue(value: string): boolean {
  return value.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(value);
}

/** Object names Faultline creates for a handle (NetworkPolicy, Chaos Mesh resources). */
export function createdName(handleId: string, namespace: string, namespaces: readonly string[]): string {
  const base = `faultline-${handleId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
  return namespaces.length > 1 ? `${base}-${namespaces.indexOf(namespace)}`.slice(0, 253) : base.slice(0, 253);
}

/** Whether the adapter itself must leave this pod alone (drains and interval kills pick pods the core never saw). */
export function isProtectedPod(pod: { metadata?: { namespace?: string; labels?: Record<string, string> } }, config: { protectedNamespaces: readonly string[]; protectedLabels: readonly string[] }): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (config.protectedNamespaces.includes(ns)) return true;
  const labels = pod.metadata?.labels ?? {};
  return config.protectedLabels.some((entry) => {
    const [k, v] = entry.split('=', 2) as [string, string | undefined];
    return Object.hasOwn(labels, k) && (v === undefined || labels[k] === v);
  });
}
