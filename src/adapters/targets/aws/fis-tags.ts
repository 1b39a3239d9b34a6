/**
 * The tags the FIS family puts on what it creates (the experiments it starts, the one-off templates of
 * fis-action) and how it rebuilds a handle from them alone, so reconcile and the janitor can stop
 * and delete with nothing but AWS.
 */
import { z } from 'zod';
import type { FaultHandle, ResolvedTarget, TargetContext } from '../../../core/ports.js';
import { AWS_TAGS } from './fault-family.js';
import type { FisFaultType } from './schema-fis.js';

export function ownerTags(ctx: Pick<TargetContext, 'experimentId' | 'handleId' | 'expiresAt'>, fault: FisFaultType): Record<string, string> {
  return {
    [AWS_TAGS.experiment]: ctx.experimentId,
    [AWS_TAGS.handle]: ctx.handleId,
    [AWS_TAGS.expiresAt]: new Date(ctx.expiresAt).toISOString(),
    [AWS_TAGS.fault]: fault,
  };
}

/** `handle.data` of a FIS fault: everything revert and confirm need. */
export const FisHandleData = z.looseObject({
  region: z.string(),
  /** The template started: the playbook's (fis-experiment) or the one-off one (fis-action). */
  templateId: z.string().optional(),
  /** The FIS experiment started; absent when rebuilt from a leftover template alone. */
  fisExperimentId: z.string().optional(),
  /** True when the template is Faultline's own (fis-action) and is deleted at revert. */
  inlineTemplate: z.boolean().default(false),
  /** True when the handle was rebuilt from AWS tags rather than returned by inject. */
  rebuilt: z.boolean().optional(),
});
export type FisHandleData = z.infer<typeof FisHandleData>;

export const templateTargetId = (region: string, templateId: string) => `fis:${region}:${templateId}`;

export function templateTarget(region: string, templateId: string, description?: string): ResolvedTarget {
  return {
    id: templateTargetId(region, templateId),
    name: description ? `${templateId} (${description})` : templateId,
    kind: 'fis-template',
    attributes: { region, templateId, ...(description ? { description } : {}) },
  };
}

/** What AWS tells of one handle: its running experiments and its one-off template. */
export interface TaggedResource {
  kind: 'experiment' | 'template';
  id: string;
  templateId?: string;
  tags: Record<string, string>;
  createdAt?: number;
}

/** Handles rebuilt from tagged experiments and templates, one per `faultline:handle`. */
export function handlesFromTags(region: string, found: readonly TaggedResource[]): FaultHandle[] {
  const byHandle = new Map<string, TaggedResource[]>();
  for (const r of found) {
    const h = r.tags[AWS_TAGS.handle];
    if (h) byHandle.set(h, [...(byHandle.get(h) ?? []), r]);
  }
  return [...byHandle.entries()].map(([handleId, rs]) => {
    const tags = Object.assign({}, ...rs.map((r) => r.tags)) as Record<string, string>;
    const template = rs.find((r) => r.kind === 'template');
    const experiment = rs.find((r) => r.kind === 'experiment');
    const faultType = tags[AWS_TAGS.fault] === 'fis-action' || template ? 'fis-action' : 'fis-experiment';
    const templateId = template?.id ?? experiment?.templateId;
    const appliedAt = Math.min(...rs.map((r) => r.createdAt ?? Number.POSITIVE_INFINITY));
    const expires = Date.parse(tags[AWS_TAGS.expiresAt] ?? '');
    const data: FisHandleData = {
      region,
      ...(templateId ? { templateId } : {}),
      ...(experiment ? { fisExperimentId: experiment.id } : {}),
      inlineTemplate: faultType === 'fis-action',
      rebuilt: true,
    };
    return {
      handleId,
      experimentId: tags[AWS_TAGS.experiment] ?? '',
      adapter: 'aws',
      faultType,
      targets: templateId ? [templateTarget(region, templateId)] : [],
      appliedAt: Number.isFinite(appliedAt) ? appliedAt : 0,
      expiresAt: Number.isFinite(expires) ? expires : 0,
      data,
    } satisfies FaultHandle;
  });
}
