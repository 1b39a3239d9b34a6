/**
 * The aws adapter's config schema, and its playbook schemas composed from its fault families: the
 * target is a union of each family's target, the fault a discriminated union on `type` of their
 * branches. A family adds its target to AWS_TARGET_SCHEMAS and its branches to the fault union.
 */
import { z } from 'zod';
import { Duration } from '../../../core/duration.js';
import { AccountId, RegionName } from './schema-common.js';
import { FIS_FAULT_TYPES, fisFaultSchemas, fisTargetSchemas } from './schema-fis.js';
import { INSTANCE_FAULT_TYPES, instanceFaultBranches, instanceTargetSchema } from './schema-instances.js';

export { AccountId, RegionName, ZoneName } from './schema-common.js';

export const AWS_CONFIG_PATH = 'adapters.targets.aws';

/** Adapter settings (`adapters.targets.aws` in the bot's config). */
export const AwsTargetConfig = z.strictObject({
  region: RegionName.optional().describe("default region of targets that name none; unset: the SDK's (AWS_REGION, the profile, IMDS)"),
  profile: z.string().min(1).optional().describe('a named profile of ~/.aws/config and ~/.aws/credentials; unset: the SDK default chain'),
  accounts: z
    .array(AccountId)
    .default([])
    .describe('the account ids Faultline may inject into; empty: none (every preview and inject is refused until this is set)'),
  regions: z.array(RegionName).default([]).describe('the regions Faultline may inject into; empty: only `region` (or the SDK default region)'),
  requestTimeout: Duration.default(10_000).describe('timeout of each AWS call, e.g. "10s"'),
  waitTimeout: Duration.default(300_000).describe('how long a revert waits for stopped instances to be running again, e.g. "5m"'),
  pollInterval: Duration.default(2_000).describe('how often a revert reads instance states while it waits, e.g. "2s"'),
  maxAttempts: z.number().int().min(1).max(10).default(5).describe("tries of each AWS call (the SDK's standard retry mode: throttling and 5xx)"),
});
export type AwsTargetConfig = z.infer<typeof AwsTargetConfig>;
export type AwsTargetConfigInput = z.input<typeof AwsTargetConfig>;

/** Every fault type of the aws adapter, family by family. */
export const AWS_FAULT_TYPES: readonly string[] = [...INSTANCE_FAULT_TYPES, ...FIS_FAULT_TYPES];

/** A playbook's `target` for `adapter: aws`: one of the families' targets. */
export const awsTargetSchema = z.union([instanceTargetSchema, ...fisTargetSchemas]);

/** A playbook's `fault` for `adapter: aws`. */
export const awsFaultSchema = z.discriminatedUnion('type', [...instanceFaultBranches, ...fisFaultSchemas]);
