/**
 * What the aws adapter tests share: a stand-in per test (EC2 and Auto Scaling over one world), drivers
 * built on it with the real SDK clients, parsed targets and faults, and a TargetContext that notes.
 */
import { createAwsDriver, type AwsDriver } from '../../src/adapters/targets/aws/driver.js';
import { AwsTargetConfig, awsFaultSchema, awsTargetSchema, type AwsTargetConfigInput } from '../../src/adapters/targets/aws/schema.js';
import type { FaultSpec, TargetContext, TargetSpec } from '../../src/core/ports.js';
import { startAwsStandIn, type AwsStandInHandle } from '../fakes/aws/index.js';
import { RecordingLog } from '../fakes/recording-log.js';

export const ACCOUNT = '123456789012';

export interface AwsBench {
  aws: AwsStandInHandle;
  log: RecordingLog;
  /** A driver as another process would build it: its own clients, nothing shared but AWS. */
  driver(config?: AwsTargetConfigInput): AwsDriver;
  close(): Promise<void>;
}

export async function awsBench(): Promise<AwsBench> {
  const aws = await startAwsStandIn();
  const log = new RecordingLog();
  const drivers: AwsDriver[] = [];
  return {
    aws,
    log,
    driver(config = {}) {
      const parsed = AwsTargetConfig.parse({ accounts: [ACCOUNT], region: 'eu-west-1', pollInterval: '20ms', waitTimeout: '5s', maxAttempts: 4, ...config });
      const d = createAwsDriver(parsed, { log, now: Date.now }, { clientOverrides: { endpoint: aws.clientConfig.endpoint, credentials: aws.clientConfig.credentials } });
      drivers.push(d);
      return d;
    },
    async close() {
      for (const d of drivers) await d.close?.();
      await aws.close();
    },
  };
}

export const target = (t: Record<string, unknown>): TargetSpec => awsTargetSchema.parse({ adapter: 'aws', ...t }) as TargetSpec;
export const fault = (f: Record<string, unknown>): FaultSpec => awsFaultSchema.parse({ duration: '5m', ...f }) as FaultSpec;

export interface NotingContext extends TargetContext {
  notes: Array<{ kind: string; data: Record<string, unknown> }>;
}

export function injectContext(log: RecordingLog, over: Partial<TargetContext> = {}): NotingContext {
  const notes: NotingContext['notes'] = [];
  return {
    experimentId: 'exp-1',
    handleId: 'h-1',
    expiresAt: Date.now() + 300_000,
    now: Date.now,
    log,
    note: (kind, data) => notes.push({ kind, data }),
    notes,
    ...over,
  };
}
