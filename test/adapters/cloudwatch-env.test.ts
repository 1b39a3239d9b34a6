/**
 * The cloudwatch signal as the app builds it, pointed at the stand-in through the environment only
 * (AWS_ENDPOINT_URL_CLOUDWATCH / AWS_ENDPOINT_URL, credentials and region from the SDK's default
 * chain). The environment is per process: this file changes it, and nothing else runs here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignals } from '../../src/app/registries.js';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { SignalSource } from '../../src/core/ports.js';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { registerCloudWatch } from '../fakes/aws/cloudwatch-service.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const VARS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_CLOUDWATCH', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_EC2_METADATA_DISABLED'];
const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));

let standIn: AwsStandIn;
let dir: string;
const alarm = { source: 'cloudwatch', alarm: 'web-5xx' } as SignalQuery;
const ctx = { now: Date.now, timeoutMs: 3_000 };
const cloudwatch = (settings: Record<string, unknown> = {}): SignalSource => buildSignals({ cloudwatch: settings }, { log: quiet, now: Date.now }).get('cloudwatch')!;

beforeAll(async () => {
  standIn = await AwsStandIn.start();
  registerCloudWatch(standIn, { alarms: [{ name: 'web-5xx', state: 'ALARM' }], series: [] });
  dir = mkdtempSync(join(tmpdir(), 'faultline-aws-env-'));
  for (const k of VARS) delete process.env[k];
  // No ~/.aws of the machine running the tests: config and credentials files of our own.
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  writeFileSync(process.env.AWS_CONFIG_FILE, '[profile chaos]\nregion = eu-central-1\n');
  writeFileSync(process.env.AWS_SHARED_CREDENTIALS_FILE, `[chaos]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await standIn.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cloudwatch signal configured by the environment alone', () => {
  it('AWS_ENDPOINT_URL_CLOUDWATCH, AWS_REGION and the key from the environment', async () => {
    Object.assign(process.env, { AWS_ENDPOINT_URL_CLOUDWATCH: standIn.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey });
    expect(await cloudwatch().sample(alarm, ctx)).toMatchObject({ status: 'ok', value: 1 });
    expect(standIn.callsTo('monitoring', 'DescribeAlarms').at(-1)).toMatchObject({ status: 200, accessKeyId: TEST_CREDENTIALS.accessKeyId });
  });

  it('AWS_ENDPOINT_URL (every service) and a profile of the config: its credentials, its region', async () => {
    delete process.env.AWS_ENDPOINT_URL_CLOUDWATCH;
    delete process.env.AWS_REGION;
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_ENDPOINT_URL = standIn.url;
    const before = standIn.calls.length;
    const r = await cloudwatch({ profile: 'chaos' }).sample({ source: 'cloudwatch', alarm: 'nope' } as SignalQuery, ctx);
    expect(r).toMatchObject({ status: 'unknown', reason: 'no alarm named "nope" in eu-central-1 (neither a metric nor a composite alarm): check the name and the region' });
    expect(standIn.calls.slice(before)).toMatchObject([{ service: 'monitoring', action: 'DescribeAlarms', status: 200 }]);
  });

  it('no region anywhere, or no credentials: unknown, saying what to set', async () => {
    process.env.AWS_ENDPOINT_URL = standIn.url;
    const noRegion = await cloudwatch().sample(alarm, ctx);
    expect(noRegion).toMatchObject({ status: 'unknown', reason: 'no AWS region for CloudWatch: set AWS_REGION or adapters.signals.cloudwatch.region' });
    // Only a region: the default chain finds no credentials (no env keys, no profile, IMDS off).
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const noKeys = await cloudwatch({ region: 'eu-west-1', requestTimeout: '2s' }).sample(alarm, ctx);
      expect(noKeys.status).toBe('unknown');
      expect(noKeys.status === 'unknown' && noKeys.reason).toMatch(/^no AWS credentials for CloudWatch: /);
    } finally {
      delete process.env.AWS_EC2_METADATA_DISABLED;
    }
  });
});
