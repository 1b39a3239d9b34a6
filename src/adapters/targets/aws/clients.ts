/**
 * The SDK clients of the aws adapter, one per service and region, built on first use. Credentials
 * and region come from the SDK's default chain (environment, shared config, web identity, the
 * instance role), or from the named `profile`; endpoints too (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_EC2, the `endpoint_url` of the profile), so LocalStack or a stand-in needs no
 * code. Throttling and 5xx answers are retried by the SDK's standard retry mode.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { FaultlineError } from '../../../core/errors.js';
import { describeAwsError } from './aws-errors.js';
import { AWS_CONFIG_PATH, type AwsTargetConfig } from './schema.js';

/** What a test (or an embedding) may set on every client besides the config: never needed in production. */
export type AwsClientOverrides = Pick<EC2ClientConfig, 'endpoint' | 'credentials' | 'region'>;

/** The settings every client of the adapter is built with, for one region (FIS and CloudWatch clients use them too). */
export interface AwsClientSettings {
  region: string;
  profile?: string;
  credentials?: EC2ClientConfig['credentials'];
  endpoint?: EC2ClientConfig['endpoint'];
  retryMode: 'standard';
  maxAttempts: number;
  requestHandler: { requestTimeout: number; connectionTimeout: number };
}

export interface AwsClients {
  ec2(region: string): EC2Client;
  autoScaling(region: string): AutoScalingClient;
  settings(region: string): AwsClientSettings;
  /** The region of targets that name none: the config's, else the SDK's (AWS_REGION, the profile). */
  defaultRegion(): Promise<string>;
  /** The regions Faultline may act in: `regions`, else the default region alone. */
  allowedRegions(): Promise<string[]>;
  /** The regions listOwned and the janitor look in for Faultline's tags. */
  ownedRegions(): Promise<string[]>;
  destroy(): void;
}

export function createAwsClients(config: AwsTargetConfig, overrides: AwsClientOverrides = {}): AwsClients {
  const ec2 = new Map<string, EC2Client>();
  const asg = new Map<string, AutoScalingClient>();
  const credentials = overrides.credentials ?? (config.profile !== undefined ? fromNodeProviderChain({ profile: config.profile }) : undefined);
  let regionOfChain: Promise<string> | undefined;

  const settings = (region: string): AwsClientSettings => ({
    region,
    ...(config.profile !== undefined ? { profile: config.profile } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    ...(overrides.endpoint !== undefined ? { endpoint: overrides.endpoint } : {}),
    retryMode: 'standard',
    maxAttempts: config.maxAttempts,
    requestHandler: { requestTimeout: config.requestTimeout, connectionTimeout: Math.min(config.requestTimeout, 5_000) },
  });

  async function defaultRegion(): Promise<string> {
    if (config.region !== undefined) return config.region;
    if (typeof overrides.region === 'string') return overrides.region;
    regionOfChain ??= (async () => {
      // A client built without a region resolves it the SDK's way; only the answer is kept.
      const probe = new EC2Client({ ...(config.profile !== undefined ? { profile: config.profile } : {}) });
      try {
        return await probe.config.region();
      } catch (err) {
        throw new FaultlineError('config_invalid', `no AWS region: set ${AWS_CONFIG_PATH}.region, AWS_REGION or a profile's region (${describeAwsError(err)})`);
      } finally {
        probe.destroy();
      }
    })();
    try {
      return await regionOfChain;
    } catch (err) {
      regionOfChain = undefined;
      throw err;
    }
  }

  async function allowedRegions(): Promise<string[]> {
    return config.regions.length > 0 ? [...config.regions] : [await defaultRegion()];
  }

  return {
    ec2(region) {
      let c = ec2.get(region);
      if (!c) ec2.set(region, (c = new EC2Client(settings(region))));
      return c;
    },
    autoScaling(region) {
      let c = asg.get(region);
      if (!c) asg.set(region, (c = new AutoScalingClient(settings(region))));
      return c;
    },
    settings,
    defaultRegion,
    allowedRegions,
    ownedRegions: async () => [...new Set([...config.regions, ...(config.region !== undefined || config.regions.length === 0 ? [await defaultRegion()] : [])])],
    destroy() {
      for (const c of ec2.values()) c.destroy();
      for (const c of asg.values()) c.destroy();
      ec2.clear();
      asg.clear();
    },
  };
}
