import type { ResolvedTarget, TargetScope, TargetSpec } from '../../../core/ports.js';

/**
 * What an instance target is, for the card, the ladder and the history: `instance` and which ones
 * (`region=eu-west-1,zone=eu-west-1a,app=web`). Pure: the lazy adapter answers it without the SDK.
 */
export function describeInstanceTarget(target: TargetSpec, resolved: readonly ResolvedTarget[]): TargetScope {
  const t = target as TargetSpec & { zone?: string; region?: string };
  const region = resolved.find((r) => r.attributes.region)?.attributes.region ?? t.region;
  const terms = [
    ...(region ? [`region=${region}`] : []),
    ...(t.zone ? [`zone=${t.zone}`] : []),
    ...Object.entries(t.selector ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`),
  ];
  return { kind: 'instance', selection: terms.join(',') || '*' };
}
