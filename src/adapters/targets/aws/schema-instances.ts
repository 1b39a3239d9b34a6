/**
 * The playbook schemas of the instances family: a target of EC2 instances picked by their tags (and
 * optionally one availability zone), and the faults `ec2-stop` and `zone-outage`.
 */
import { z } from 'zod';
import { BlastRadius } from '../../../core/blast-radius-spec.js';
import { Duration } from '../../../core/duration.js';
import { RegionName, ZoneName } from './schema-common.js';

export const INSTANCE_FAULT_TYPES = ['ec2-stop', 'zone-outage'] as const;
export type InstanceFaultType = (typeof INSTANCE_FAULT_TYPES)[number];

/** An EC2 tag key as a selector may name it (1..128 characters; `aws:` keys are AWS's own but may be filtered on). */
export const TagKey = z.string().min(1).max(128);
export const TagValue = z.string().max(256);

const instanceTargetFields = {
  adapter: z.literal('aws'),
  selector: z
    .record(TagKey, TagValue)
    .superRefine((s, ctx) => {
      if (Object.keys(s).length === 0) ctx.addIssue({ code: 'custom', message: 'name at least one tag (e.g. { app: web }): an empty selector would match every instance of the account' });
      for (const k of Object.keys(s)) {
        if (k.startsWith('faultline:')) ctx.addIssue({ code: 'custom', path: [k], message: `${k}: faultline:* tags are Faultline's own marks, not a selector` });
      }
    })
    .describe('instance tags, every one must match (e.g. { app: web })'),
  zone: ZoneName.optional().describe('only instances in this availability zone, e.g. eu-west-1a (zone-outage requires it)'),
  region: RegionName.optional().describe("the region, e.g. eu-west-1; default: the adapter's region (or the SDK's)"),
};

function checkZoneInRegion(t: { zone?: string | undefined; region?: string | undefined }, ctx: z.RefinementCtx): void {
  if (t.zone !== undefined && t.region !== undefined && !t.zone.startsWith(t.region)) {
    ctx.addIssue({ code: 'custom', path: ['zone'], message: `zone ${t.zone} is not in region ${t.region}` });
  }
}

/** A playbook's `target` of EC2 instances. */
export const instanceTargetSchema = z.strictObject({ ...instanceTargetFields, blastRadius: BlastRadius.default({ kind: 'one' }) }).superRefine(checkZoneInRegion);
/** The same target once parsed (preview gets it parsed; the radius is the core's business). */
export const resolvedInstanceTargetSchema = z.strictObject({ ...instanceTargetFields, blastRadius: z.unknown().optional() }).superRefine(checkZoneInRegion);
export type InstanceTarget = z.infer<typeof resolvedInstanceTargetSchema>;

export const Ec2StopParams = z.strictObject({
  hibernate: z.boolean().default(false).describe('hibernate instead of stop (the instance must have been launched with hibernation enabled)'),
});
export const ZoneOutageParams = z.strictObject({
  hibernate: z.boolean().default(false).describe('hibernate the instances instead of stopping them'),
});

/** Parameters per fault type; each accepts its own parsed output, so inject can parse them again. */
export const INSTANCE_FAULT_PARAMS = {
  'ec2-stop': Ec2StopParams,
  'zone-outage': ZoneOutageParams,
} as const satisfies Record<InstanceFaultType, z.ZodType>;
export type InstanceFaultParams = { [K in InstanceFaultType]: z.infer<(typeof INSTANCE_FAULT_PARAMS)[K]> };

/** The instance family's branches of the aws `fault` union. */
export const instanceFaultBranches = [
  z.strictObject({ type: z.literal('ec2-stop'), parameters: Ec2StopParams.prefault({}), duration: Duration }),
  z.strictObject({ type: z.literal('zone-outage'), parameters: ZoneOutageParams.prefault({}), duration: Duration }),
] as const;
