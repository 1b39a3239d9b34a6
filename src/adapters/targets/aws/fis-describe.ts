/**
 * What a FIS target is, as the card, the ladder and the history name it. No SDK here: the lazy aws
 * adapter can describe a FIS target before the AWS SDK is loaded.
 */
import { FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { ResolvedTarget, TargetScope, TargetSpec } from '../../../core/ports.js';
import { fisResolvedTarget, type FisResolvedTarget } from './schema-fis.js';

export const tagText = (tags: Record<string, string> | undefined) =>
  Object.entries(tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** `region` is where the target is: its own `region`, else the one preview resolved it in. */
export function describeFisTarget(target: FisResolvedTarget, resolved: readonly ResolvedTarget[], region = target.region ?? resolved[0]?.attributes.region ?? 'the default region'): TargetScope {
  if ('template' in target) {
    const ref = target.template;
    const id = resolved[0]?.attributes.templateId;
    return { kind: 'fis-template', selection: typeof ref === 'string' ? `${ref} in ${region}` : `tags ${tagText(ref.tags)}${id ? ` (${id})` : ''} in ${region}` };
  }
  const names = Object.entries(target.fisTargets).map(([n, d]) => `${n}=${d.resourceType}`);
  return { kind: 'fis-targets', selection: `${names.join(', ')} in ${region}` };
}

/** The same from a playbook's (parsed) target, as TargetDriver.describeTarget takes it (lazy.ts can use it for FIS targets). */
export function describeFisTargetSpec(target: TargetSpec, resolved: readonly ResolvedTarget[]): TargetScope {
  const spec = fisResolvedTarget.safeParse(target);
  if (!spec.success) throw new FaultlineError('playbook_invalid', `invalid FIS target:\n${formatIssues(spec.error.issues, ['target'])}`);
  return describeFisTarget(spec.data, resolved);
}
