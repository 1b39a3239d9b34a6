import type { SignalAdapter } from '../../../core/ports.js';
import { CloudWatchSignalConfig } from './schema.js';
import { createCloudWatchSource } from './source.js';

/**
 * CloudWatch alarms (ALARM reads 1, OK 0) and metric values (GetMetricData), through the AWS SDK,
 * which loads on the first sample: a bot without CloudWatch checks never loads it.
 */
export const cloudwatchSignalAdapter: SignalAdapter<CloudWatchSignalConfig> = {
  kind: 'cloudwatch',
  configSchema: CloudWatchSignalConfig,
  create: (config, deps) => createCloudWatchSource(config, deps),
};

export { awsErrorText, createCloudWatchSource, type CloudWatchClientOptions } from './source.js';
export { ALARM_VALUE } from './readings.js';
export {
  CloudWatchSignalConfig,
  cloudwatchSignalSchema,
  describeCloudWatchQuery,
  type CloudWatchSignalConfigInput,
  type CloudWatchSignalQuery,
  type CloudWatchSignalQueryInput,
} from './schema.js';
