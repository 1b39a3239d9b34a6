/**
 * Playbook schemas of the FIS family of the `aws` adapter: a target that names an existing FIS
 * experiment template (by id or by its tags) or defines FIS targets inline, and the faults
 * `fis-experiment` (start that template) and `fis-action` (a one-off template built from inline
 * actions). schema.ts composes them with the instance schemas:
 * `z.union([instanceTarget, ...fisTargetSchemas])`, `z.discriminatedUnion('type', [..., ...fisFaultSchemas])`.
 */
import { z } from 'zod';
import { BlastRadius } from '../../../core/blast-radius-spec.js';
import { Duration } from '../../../core/duration.js';

export const FIS_FAULT_TYPES = ['fis-experiment', 'fis-action'] as const;
export type FisFaultType = (typeof FIS_FAULT_TYPES)[number];

/** AWS region names such as eu-west-1, us-gov-west-1, cn-north-1. */
export const AwsRegion = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1');

/** FIS tag limits: at most 50 tags, keys up to 128 characters, values up to 256. */
const TagKey = z.string().min(1).max(128);
const TagValue = z.string().max(256);
const Tags = z.record(TagKey, TagValue).refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');

/** An experiment template id as FIS writes it: EXT followed by letters and digits. */
export const FisTemplateId = z.string().regex(/^EXT[A-Za-z0-9]+$/, 'a FIS experiment template id such as EXT1a2b3c4d5e6f7');

/** Which existing template: its id, or tags that exactly one template carries. */
export const FisTemplateRef = z.union([
  FisTemplateId,
  z.strictObject({ tags: Tags.refine((t) => Object.keys(t).length > 0, 'at least one tag').describe('tags that exactly one experiment template carries') }),
]);
export type FisTemplateRef = z.infer<typeof FisTemplateRef>;

// The core wants a selector record on every target; FIS targets are chosen by the template itself.
const EmptySelector = z
  .record(z.string(), z.string())
  .refine((s) => Object.keys(s).length === 0, 'FIS targets are chosen by the template (or fisTargets): leave selector out')
  .default({});

// FIS resolves and picks the resources itself (selectionMode), so the core must not pick a subset of
// what the card shows: a FIS target's radius is its selectionMode, and the plan's radius is all of it.
const AllRadius = BlastRadius.refine((b) => b.kind === 'all', 'a FIS target is hit as a whole: set the share with selectionMode (COUNT(n), PERCENT(n)) instead of blastRadius').default({ kind: 'all' });

const region = AwsRegion.optional().describe("the template's region; default: the adapter's");

/** `target` of a fis-experiment: an existing experiment template. */
export const fisTemplateTarget = z.strictObject({
  adapter: z.literal('aws'),
  template: FisTemplateRef.describe('experiment template id (EXT…) or { tags: { k: v } } naming exactly one template'),
  region,
  selector: EmptySelector,
  blastRadius: AllRadius,
});
export type FisTemplateTarget = z.infer<typeof fisTemplateTarget>;

/** A FIS target name, as the template's targets map and the actions' targets refer to it. */
export const FisName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (at most 64)');

/** ALL, COUNT(n) or PERCENT(n), as FIS takes selectionMode. */
export const SelectionMode = z
  .string()
  .regex(/^(ALL|COUNT\([1-9]\d*\)|PERCENT\(([1-9]\d?|100)\))$/, 'ALL, COUNT(n) or PERCENT(n) with n in 1..100')
  .describe('how many of the resources FIS hits');

export const FisTargetFilter = z.strictObject({ path: z.string().min(1).max(256), values: z.array(z.string().max(128)).min(1) });

/** One FIS target defined inline: the same fields as in an experiment template. */
export const FisTargetDefinition = z
  .strictObject({
    resourceType: z.string().regex(/^aws:[a-z0-9-]+:[a-z0-9-]+$/, 'a FIS resource type such as aws:ec2:subnet or aws:ec2:instance'),
    resourceTags: Tags.optional(),
    resourceArns: z.array(z.string().regex(/^arn:aws[a-z-]*:/, 'an ARN')).min(1).max(5).optional(),
    filters: z.array(FisTargetFilter).optional(),
    selectionMode: SelectionMode,
    parameters: z.record(z.string(), z.string()).optional(),
  })
  .refine((t) => (t.resourceTags === undefined) !== (t.resourceArns === undefined), { message: 'set exactly one of resourceTags or resourceArns' });
export type FisTargetDefinition = z.infer<typeof FisTargetDefinition>;

/** `target` of a fis-action: FIS targets by name, which the fault's actions refer to. */
export const fisInlineTarget = z.strictObject({
  adapter: z.literal('aws'),
  fisTargets: z
    .record(FisName, FisTargetDefinition)
    .refine((t) => Object.keys(t).length > 0, 'at least one FIS target')
    .refine((t) => Object.keys(t).length <= 5, 'at most 5 FIS targets')
    .describe('FIS targets by name: { resourceType, resourceTags | resourceArns, filters?, selectionMode }'),
  region,
  selector: EmptySelector,
  blastRadius: AllRadius,
});
export type FisInlineTarget = z.infer<typeof fisInlineTarget>;

export const fisTargetSchemas = [fisTemplateTarget, fisInlineTarget] as const;

/** Either FIS target once parsed: the engine hands preview a parsed target (the radius is the core's business by then). */
export const fisResolvedTarget = z.union([
  fisTemplateTarget.extend({ selector: z.record(z.string(), z.string()).optional(), blastRadius: z.unknown().optional() }),
  fisInlineTarget.extend({ selector: z.record(z.string(), z.string()).optional(), blastRadius: z.unknown().optional() }),
]);
export type FisResolvedTarget = z.infer<typeof fisResolvedTarget>;

export const isFisTarget = (t: unknown): boolean => typeof t === 'object' && t !== null && ('template' in t || 'fisTargets' in t);

/** fis-experiment takes no parameters: the template says what happens. */
export const FisExperimentParams = z.strictObject({});

/** An IAM role ARN FIS assumes to run the actions. */
export const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN such as arn:aws:iam::123456789012:role/fis-runner');

export const FisActionDefinition = z.strictObject({
  actionId: z.string().regex(/^aws:[a-z0-9-]+:[a-z0-9-]+$/, 'a FIS action id such as aws:network:disrupt-connectivity'),
  description: z.string().max(512).optional(),
  parameters: z.record(z.string(), z.string()).optional().describe('the action\'s parameters, all strings as FIS takes them (duration: "PT5M")'),
  targets: z.record(z.string(), FisName).optional().describe('the action\'s target kinds mapped to names in target.fisTargets, e.g. { Subnets: app-subnets }'),
  startAfter: z.array(FisName).optional().describe('actions that must finish before this one starts'),
});
export type FisActionDefinition = z.infer<typeof FisActionDefinition>;

/** fis-action: the actions of the one-off template (its targets come from the playbook's target). */
export const FisActionParams = z
  .strictObject({
    roleArn: RoleArn.describe('the role FIS assumes to run the actions'),
    actions: z
      .record(FisName, FisActionDefinition)
      .refine((a) => Object.keys(a).length > 0, 'at least one action')
      .refine((a) => Object.keys(a).length <= 20, 'at most 20 actions'),
  })
  .superRefine((p, ctx) => {
    for (const [name, action] of Object.entries(p.actions)) {
      for (const before of action.startAfter ?? []) {
        if (!(before in p.actions)) ctx.addIssue({ code: 'custom', path: ['actions', name, 'startAfter'], message: `"${before}" is not one of the actions (${Object.keys(p.actions).join(', ')})` });
        if (before === name) ctx.addIssue({ code: 'custom', path: ['actions', name, 'startAfter'], message: 'an action cannot start after itself' });
      }
    }
  });
export type FisActionParams = z.infer<typeof FisActionParams>;

export const FIS_FAULT_PARAMS = { 'fis-experiment': FisExperimentParams, 'fis-action': FisActionParams } as const;

export const fisExperimentFault = z.strictObject({
  type: z.literal('fis-experiment'),
  parameters: FisExperimentParams.default({}),
  duration: Duration.describe('the longest Faultline lets the experiment run before it stops it'),
});

export const fisActionFault = z.strictObject({
  type: z.literal('fis-action'),
  parameters: FisActionParams,
  duration: Duration.describe('the longest Faultline lets the experiment run before it stops it and deletes the template'),
});

export const fisFaultSchemas = [fisExperimentFault, fisActionFault] as const;
