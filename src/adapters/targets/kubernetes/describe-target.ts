import type { ResolvedTarget, TargetScope, TargetSpec } from '../../../core/ports.js';
import { ZONE_LABEL } from './ownership.js';
import type { KubernetesTargetConfig } from './schema.js';

const text = (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);

/**
 * What a kubernetes target is, for the card, the ladder and the history: the cluster (as the
 * targets were found, else as named, else the adapter's context), the namespace, the kind and which
 * ones (name, labels, zone, fields). Pure: the lazy adapter answers it without loading the client.
 */
export function describeKubernetesTarget(target: TargetSpec, resolved: readonly ResolvedTarget[], config: Pick<KubernetesTargetConfig, 'context' | 'namespace'>): TargetScope {
  const t = target as TargetSpec & {
    cluster?: string;
    namespace?: string;
    kind?: 'Deployment' | 'StatefulSet';
    name?: string;
    nodeSelector?: Record<string, string>;
    zone?: string;
    fieldSelector?: string;
    annotations?: Record<string, string>;
  };
  const cluster = resolved.find((r) => r.attributes.cluster)?.attributes.cluster ?? t.cluster ?? config.context;
  const extra = [...(t.fieldSelector ? [t.fieldSelector] : []), ...text(t.annotations).map((a) => `annotation ${a}`)];
  const which = (terms: string[]) => [...terms, ...extra].join(',') || '*';
  if (t.nodeSelector !== undefined || t.zone !== undefined) {
    const terms = [...(t.zone ? [`zone=${t.zone}`] : []), ...text(t.nodeSelector).filter((x) => !x.startsWith(`${ZONE_LABEL}=`) || !t.zone)];
    return { ...(cluster ? { cluster } : {}), kind: 'node', selection: which(terms) };
  }
  const namespace = t.namespace ?? config.namespace;
  const kind = t.kind === 'Deployment' ? 'deployment' : t.kind === 'StatefulSet' ? 'statefulset' : 'pod';
  const terms = t.name ? [`name=${t.name}`, ...text(t.selector)] : text(t.selector);
  return { ...(cluster ? { cluster } : {}), namespace, kind, selection: which(terms) };
}
