import { z } from 'zod';
import { BlastRadius } from '../../../core/blast-radius-spec.js';
import { Duration, DurationOrZero, parseDuration } from '../../../core/duration.js';
import { ContextName, KubeConnection } from './connection.js';

export const KUBERNETES_FAULT_TYPES = [
  'pod-delete',
  'scale-down',
  'node-drain',
  'zone-outage',
  'network-partition',
  'dependency-down',
  'dns-outage',
  'chaos-mesh',
] as const;
export type KubernetesFaultType = (typeof KUBERNETES_FAULT_TYPES)[number];

/** Adapter settings (`adapters.targets.kubernetes` in the bot's config). */
export const KubernetesTargetConfig = KubeConnection.extend({
  namespace: z.string().min(1).default('default').describe('namespace of a target that names none'),
  clusters: z
    .array(ContextName)
    .default([])
    .describe('other kubeconfig contexts a playbook may name in target.cluster; reconcile looks for leftover faults in each of them too'),
  optInNamespaces: z
    .boolean()
    .default(false)
    .describe('only namespaces (and, for node faults, nodes) labelled faultline.dev/chaos=enabled can be targeted'),
  revertAttempts: z.number().int().min(1).max(20).default(5).describe('tries of each revert step (5xx, 409, timeouts) before it is reported as failed'),
  revertBackoff: DurationOrZero.refine((ms) => ms <= 60_000, 'at most "1m"').default(250).describe('first wait between revert tries, e.g. "250ms"; doubles each time'),
  evictionGracePeriodSeconds: z.number().int().min(0).max(3_600).optional().describe("grace period of drained pods; unset: each pod's own"),
  // The core keeps protected targets out of every plan; these reach what the adapter picks on its own:
  // the pods a node drain evicts and the successors an interval pod-delete kills.
  protectedNamespaces: z.array(z.string()).default(['kube-system', 'kube-public', 'kube-node-lease']).describe("pods here are never evicted or killed (the app passes the config's protected namespaces)"),
  protectedLabels: z.array(z.string()).default(['faultline.dev/protected=true']).describe('pods with any of these labels (k=v or k) are never evicted or killed'),
});
export type KubernetesTargetConfig = z.infer<typeof KubernetesTargetConfig>;
export type KubernetesTargetConfigInput = z.input<typeof KubernetesTargetConfig>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export const NamespaceName = z.string().max(63).regex(DNS_LABEL, 'a namespace name: lower-case letters, digits and dashes');
export const ObjectName = z.string().max(253).regex(DNS_SUBDOMAIN, 'an object name: lower-case letters, digits, dashes and dots');

/** `prefix/name` (prefix a DNS subdomain) as Kubernetes allows for label and annotation keys. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}
export const LabelKey = z.string().refine(isLabelKey, 'a label key such as app or app.kubernetes.io/name');
export const LabelValue = z.string().max(63).regex(LABEL_VALUE, 'a label value: letters, digits, -, _ and . (at most 63)');
export const Labels = z.record(LabelKey, LabelValue);

/** `field=value` or `field!=value` terms, comma separated, as the API server takes them. */
export const FieldSelector = z
  .string()
  .regex(/^[A-Za-z0-9_.]+!?==?[-A-Za-z0-9_.:/]*(,[A-Za-z0-9_.]+!?==?[-A-Za-z0-9_.:/]*)*$/, 'field=value terms joined by commas, e.g. status.phase=Running');

const targetFields = {
  adapter: z.literal('kubernetes'),
  cluster: ContextName.optional().describe("kubeconfig context of the cluster to run in (the adapter's context, or one of its `clusters`); its pods checks read the same cluster"),
  namespace: NamespaceName.optional().describe("pods' or workloads' namespace; default from the adapter settings"),
  selector: Labels.default({}).describe('labels of the pods or workloads'),
  fieldSelector: FieldSelector.optional().describe('e.g. status.phase=Running or spec.nodeName=node-a'),
  annotations: z.record(z.string(), z.string()).optional().describe('annotations a target must carry (exact values)'),
  kind: z.enum(['Deployment', 'StatefulSet']).optional().describe('target workloads instead of pods (scale-down)'),
  name: ObjectName.optional().describe('one workload by name (with kind)'),
  nodeSelector: Labels.optional().describe('target nodes with these labels (node-drain, zone-outage)'),
  zone: LabelValue.optional().describe('target the nodes of one topology.kubernetes.io/zone'),
};

function checkTarget(t: { namespace?: string; selector: Record<string, string>; kind?: string; name?: string; nodeSelector?: Record<string, string>; zone?: string }, ctx: z.RefinementCtx): void {
  const nodes = t.nodeSelector !== undefined || t.zone !== undefined;
  if (t.name !== undefined && t.kind === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'name picks a workload: set kind (Deployment or StatefulSet) too' });
  if (nodes && t.kind !== undefined) ctx.addIssue({ code: 'custom', path: ['kind'], message: 'a target is pods, workloads (kind) or nodes (nodeSelector/zone), not both' });
  if (nodes && t.namespace !== undefined) ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'nodes have no namespace: drop namespace or nodeSelector/zone' });
  if (nodes && Object.keys(t.selector).length > 0) ctx.addIssue({ code: 'custom', path: ['selector'], message: 'selector is for pods and workloads; node labels go in nodeSelector' });
}

/** A playbook's `target` for `adapter: kubernetes`: pods (default), one kind of workload, or nodes. */
export const kubernetesTargetSchema = z.strictObject({ ...targetFields, blastRadius: BlastRadius.default({ kind: 'one' }) }).superRefine(checkTarget);

/** The clusters a playbook may name: the adapter's own context and its `clusters`. */
export function allowedClusters(config: Pick<KubernetesTargetConfig, 'context' | 'clusters'>): string[] {
  return [...new Set([...(config.context !== undefined ? [config.context] : []), ...config.clusters])];
}

/** Why a playbook may not name `cluster`, or undefined when it may. */
export function clusterRefusal(cluster: string, config: Pick<KubernetesTargetConfig, 'context' | 'clusters'>): string | undefined {
  const allowed = allowedClusters(config);
  if (allowed.includes(cluster)) return undefined;
  return `cluster "${cluster}" is not one this bot may use: name it in adapters.targets.kubernetes.clusters (allowed now: ${allowed.join(', ') || 'none; without a context the adapter uses the kubeconfig\'s current one'})`;
}

/** The playbook `target` schema for one configured adapter: `cluster` must be one it may use. */
export function kubernetesTargetSchemaFor(config: Pick<KubernetesTargetConfig, 'context' | 'clusters'>) {
  return kubernetesTargetSchema.superRefine((t, ctx) => {
    const why = t.cluster === undefined ? undefined : clusterRefusal(t.cluster, config);
    if (why) ctx.addIssue({ code: 'custom', path: ['cluster'], message: why });
  });
}

/** The same target once parsed (the engine hands preview a parsed target; the radius is the core's business). */
export const resolvedTargetSchema = z.strictObject({ ...targetFields, blastRadius: z.unknown().optional() }).superRefine(checkTarget);
export type KubernetesTarget = z.infer<typeof kubernetesTargetSchema>;

/** A duration as written ("30s") or as already parsed (ms), so parsed parameters parse again unchanged. */
const IntervalMs = z.union([z.number().int().positive(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : parseDuration(v);
  if (ms === undefined || ms < 250) {
    ctx.addIssue({ code: 'custom', message: `expected a duration of at least 250ms such as "30s", got "${String(v)}"` });
    return z.NEVER;
  }
  return ms;
});

export const PodDeleteParams = z.strictObject({
  gracePeriodSeconds: z.number().int().min(0).max(3_600).optional().describe("grace period of the delete; unset: each pod's own"),
  interval: IntervalMs.optional().describe('keep killing as many pods again at this interval until the duration ends (chaos monkey)'),
});
export const ScaleDownParams = z
  .strictObject({
    replicas: z.number().int().min(0).optional().describe('scale each workload to this many replicas'),
    percent: z.number().int().min(1).max(100).optional().describe('remove this share of the replicas (rounded up)'),
  })
  .refine((p) => (p.replicas === undefined) !== (p.percent === undefined), { message: 'set exactly one of replicas or percent' });
export const NodeDrainParams = z.strictObject({});
export const ZoneOutageParams = z.strictObject({ zone: LabelValue.min(1).describe('the topology.kubernetes.io/zone every target node must be in') });
export const NetworkPartitionParams = z.strictObject({ direction: z.enum(['ingress', 'egress', 'both']).default('both') });
export const DependencyDownParams = z.strictObject({
  dependencySelector: Labels.refine((l) => Object.keys(l).length > 0, 'at least one label').describe('labels of the dependency pods'),
  dependencyNamespace: NamespaceName.optional().describe("the dependency's namespace; default: the target pods' namespace"),
  port: z.number().int().min(1).max(65_535).optional().describe('deny only this port of the dependency (TCP and UDP)'),
});
export const DnsOutageParams = z.strictObject({});
export const CHAOS_MESH_KINDS = { NetworkChaos: 'networkchaos', HTTPChaos: 'httpchaos', StressChaos: 'stresschaos', TimeChaos: 'timechaos' } as const;
export type ChaosMeshKind = keyof typeof CHAOS_MESH_KINDS;
export const ChaosMeshParams = z.strictObject({
  kind: z.enum(['NetworkChaos', 'HTTPChaos', 'StressChaos', 'TimeChaos']),
  spec: z
    .record(z.string(), z.unknown())
    .superRefine((spec, ctx) => {
      for (const key of ['selector', 'mode', 'value', 'duration']) {
        if (key in spec) ctx.addIssue({ code: 'custom', path: [key], message: `Faultline sets ${key} itself (from the approved targets and the fault's duration); leave it out` });
      }
    })
    .describe("the resource's spec without selector, mode and duration, e.g. { action: delay, delay: { latency: 200ms } }"),
});

/** Parameters per fault type; each accepts its own parsed output, so the engine can re-check them at inject. */
export const KUBERNETES_FAULT_PARAMS = {
  'pod-delete': PodDeleteParams,
  'scale-down': ScaleDownParams,
  'node-drain': NodeDrainParams,
  'zone-outage': ZoneOutageParams,
  'network-partition': NetworkPartitionParams,
  'dependency-down': DependencyDownParams,
  'dns-outage': DnsOutageParams,
  'chaos-mesh': ChaosMeshParams,
} as const satisfies Record<KubernetesFaultType, z.ZodType>;
export type KubernetesFaultParams = { [K in KubernetesFaultType]: z.infer<(typeof KUBERNETES_FAULT_PARAMS)[K]> };

/** A playbook's `fault` for `adapter: kubernetes`. */
export const kubernetesFaultSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('pod-delete'), parameters: PodDeleteParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('scale-down'), parameters: ScaleDownParams, duration: Duration }),
  z.strictObject({ type: z.literal('node-drain'), parameters: NodeDrainParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('zone-outage'), parameters: ZoneOutageParams, duration: Duration }),
  z.strictObject({ type: z.literal('network-partition'), parameters: NetworkPartitionParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('dependency-down'), parameters: DependencyDownParams, duration: Duration }),
  z.strictObject({ type: z.literal('dns-outage'), parameters: DnsOutageParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('chaos-mesh'), parameters: ChaosMeshParams, duration: Duration }),
]);
export type KubernetesFault = z.infer<typeof kubernetesFaultSchema>;

/** What kind of target each fault works on (a playbook's target must resolve to it). */
export const FAULT_TARGET_KIND: Record<KubernetesFaultType, 'pod' | 'workload' | 'node'> = {
  'pod-delete': 'pod',
  'scale-down': 'workload',
  'node-drain': 'node',
  'zone-outage': 'node',
  'network-partition': 'pod',
  'dependency-down': 'pod',
  'dns-outage': 'pod',
  'chaos-mesh': 'pod',
};
