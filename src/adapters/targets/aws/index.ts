import type { TargetAdapter } from '../../../core/ports.js';
import { createAwsDriver } from './driver.js';
import { AwsTargetConfig } from './schema.js';

/** AWS: ec2-stop and zone-outage on EC2 instances picked by tags (and FIS templates, as a second family). */
export const awsTargetAdapter: TargetAdapter<AwsTargetConfig> = {
  kind: 'aws',
  configSchema: AwsTargetConfig,
  create: (config, deps) => createAwsDriver(config, deps),
};

export { createAwsDriver, AWS_FAMILIES, type AwsDriver, type AwsDriverOptions } from './driver.js';
export { lazyAwsTargetAdapter } from './lazy.js';
export { createAwsClients, type AwsClientOverrides, type AwsClients, type AwsClientSettings } from './clients.js';
export { AWS_TAGS, type AwsFaultFamily } from './fault-family.js';
export type { AwsFamilyDeps, AwsFamilyFactory } from './family-deps.js';
export { createInstanceFaults } from './faults-instances.js';
export { describeInstanceTarget } from './describe-target.js';
export { InstanceHandleData, ZONE_OUTAGE_PROCESSES } from './instance-handle.js';
export { manualSteps } from './instance-owned.js';
export { awsError, describeAwsError } from './aws-errors.js';
export { OWN_TAG_KEYS, TAG_APPLIED_AT, TAG_SUSPENDED } from './tags.js';
export { AWS_CONFIG_PATH, AWS_FAULT_TYPES, AwsTargetConfig, awsFaultSchema, awsTargetSchema, type AwsTargetConfigInput } from './schema.js';
export { INSTANCE_FAULT_TYPES, INSTANCE_FAULT_PARAMS, instanceTargetSchema, type InstanceTarget } from './schema-instances.js';
