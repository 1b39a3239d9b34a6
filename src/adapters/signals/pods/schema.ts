import { z } from 'zod';
import { ContextName, KubeConnection } from '../../targets/kubernetes/connection.js';
import { Labels, NamespaceName } from '../../targets/kubernetes/schema.js';

/**
 * Adapter settings (`adapters.signals.pods` in the bot's config): how to reach the cluster. The app
 * fills what is not set here from the kubernetes target's settings (kubeconfig, context, timeouts,
 * pageSize), so both read the same cluster unless this says otherwise.
 */
export const PodsSignalConfig = KubeConnection.extend({
  followTarget: z
    .boolean()
    .default(true)
    .describe("checks of an experiment on a kubernetes target read the cluster its targets were found in, unless the check names a cluster"),
});
export type PodsSignalConfig = z.infer<typeof PodsSignalConfig>;
export type PodsSignalConfigInput = z.input<typeof PodsSignalConfig>;

/** A playbook's `signal` for `source: pods`: the health of the pods a label selector matches. */
export const podsSignalSchema = z.strictObject({
  source: z.literal('pods'),
  cluster: ContextName.optional().describe("kubeconfig context to read; default: the experiment's cluster (a kubernetes target), else the adapter's context"),
  namespace: NamespaceName,
  selector: Labels.default({}).describe('labels of the pods to watch'),
  measure: z
    .enum(['ready-ratio', 'ready-count', 'running-count'])
    .default('ready-ratio')
    .describe('ready-ratio: Ready pods / pods (0..1); ready-count: Ready pods; running-count: pods in phase Running'),
});
export type PodsSignalQuery = z.infer<typeof podsSignalSchema>;
export type PodsSignalQueryInput = z.input<typeof podsSignalSchema>;

const selectorText = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '(all)';

/** `pods shop/app=checkout → ready-ratio in cluster prod`: which pods, what is read, and from which cluster. */
export function describePodsQuery(q: Pick<PodsSignalQuery, 'namespace' | 'selector' | 'measure'> & { cluster?: string | undefined }, config: { context?: string | undefined } = {}): string {
  const cluster = q.cluster ?? config.context;
  return `pods ${q.namespace}/${selectorText(q.selector)} → ${q.measure} ${cluster ? `in cluster ${cluster}` : "in the kubeconfig's current context"}`;
}

/** The query bound to the experiment's cluster, when it names none and follows (see SignalSource.followTarget). */
export function followTargetCluster<Q extends { cluster?: unknown }>(query: Q, target: { adapter: string; cluster?: string; resolvedCluster?: string }, config: { followTarget: boolean }): Q {
  if (query.cluster !== undefined || target.adapter !== 'kubernetes') return query;
  const cluster = target.cluster ?? (config.followTarget ? target.resolvedCluster : undefined);
  return cluster === undefined ? query : { ...query, cluster };
}
