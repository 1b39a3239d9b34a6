/**
 * The tags Faultline writes on every instance and Auto Scaling group it changes, and how it reads
 * them back: enough to find the fault (listOwned, the janitor) and revert it with no database.
 */
import type { Tag } from '@aws-sdk/client-ec2';
import type { TargetContext } from '../../../core/ports.js';
import { AWS_TAGS } from './fault-family.js';

/** When the fault went in (ISO). */
export const TAG_APPLIED_AT = 'faultline:applied-at';
/** On an Auto Scaling group: the processes Faultline suspended (comma separated), the only ones revert resumes. */
export const TAG_SUSPENDED = 'faultline:suspended';

/** Every key Faultline writes, so revert removes them all. */
export const OWN_TAG_KEYS = [AWS_TAGS.experiment, AWS_TAGS.handle, AWS_TAGS.expiresAt, AWS_TAGS.fault, TAG_APPLIED_AT, TAG_SUSPENDED] as const;

export function ownerTags(ctx: Pick<TargetContext, 'experimentId' | 'handleId' | 'expiresAt' | 'now'>, faultType: string): Tag[] {
  return [
    { Key: AWS_TAGS.experiment, Value: ctx.experimentId },
    { Key: AWS_TAGS.handle, Value: ctx.handleId },
    { Key: AWS_TAGS.expiresAt, Value: new Date(ctx.expiresAt).toISOString() },
    { Key: AWS_TAGS.fault, Value: faultType },
    { Key: TAG_APPLIED_AT, Value: new Date(ctx.now()).toISOString() },
  ];
}

export function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export const isProtected = (tags: Record<string, string>): boolean => tags[AWS_TAGS.protected]?.toLowerCase() === 'true';

export function parsedTime(text: string | undefined): number | null {
  const t = text ? Date.parse(text) : NaN;
  return Number.isFinite(t) ? t : null;
}

export const suspendedText = (processes: readonly string[]): string => processes.join(',');
export const suspendedOf = (text: string | undefined): string[] => (text ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
