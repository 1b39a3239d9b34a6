/** The aws adapter's config and playbook schemas: what they take, what they refuse and why. */
import { describe, expect, it } from 'vitest';
import { AwsTargetConfig, awsFaultSchema, awsTargetSchema } from '../../src/adapters/targets/aws/schema.js';
import { INSTANCE_FAULT_PARAMS } from '../../src/adapters/targets/aws/schema-instances.js';

const messages = (r: { success: boolean; error?: { issues: Array<{ message: string; path: PropertyKey[] }> } }) => (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('adapters.targets.aws', () => {
  it('defaults, durations with their unit, ids and regions checked', () => {
    expect(AwsTargetConfig.parse({})).toEqual({ accounts: [], regions: [], requestTimeout: 10_000, waitTimeout: 300_000, pollInterval: 2_000, maxAttempts: 5 });
    expect(AwsTargetConfig.parse({ region: 'eu-west-1', accounts: ['123456789012'], waitTimeout: '2m' })).toMatchObject({ waitTimeout: 120_000 });
    expect(messages(AwsTargetConfig.safeParse({ accounts: ['12345'], regions: ['Europe'], waitTimeout: 30, extra: 1 }))).toEqual([
      expect.stringContaining('accounts.0: a 12-digit AWS account id'),
      expect.stringContaining('regions.0: an AWS region'),
      expect.stringContaining('waitTimeout: expected a duration written with its unit'),
      expect.stringContaining('Unrecognized key'),
    ]);
  });
});

describe('target and fault', () => {
  it('an instance target: tags, optional zone and region, the radius', () => {
    expect(awsTargetSchema.parse({ adapter: 'aws', selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'percent:50' })).toEqual({
      adapter: 'aws',
      selector: { app: 'web' },
      zone: 'eu-west-1a',
      blastRadius: { kind: 'percent', n: 50 },
    });
  });

  it.each([
    [{ selector: {} }, 'selector: name at least one tag'],
    [{ selector: { 'faultline:handle': 'x' } }, "faultline:* tags are Faultline's own marks"],
    [{ selector: { app: 'web' }, zone: 'eu-west-1a', region: 'us-east-1' }, 'zone: zone eu-west-1a is not in region us-east-1'],
    [{ selector: { app: 'web' }, zone: 'west' }, 'an availability zone such as eu-west-1a'],
    [{ selector: { app: 'web' }, namespace: 'x' }, 'Unrecognized key'],
  ])('refuses %j', (t, why) => {
    const r = awsTargetSchema.safeParse({ adapter: 'aws', ...t });
    expect(r.success).toBe(false);
    expect(messages(r).join('\n')).toContain(why);
  });

  it('faults: ec2-stop and zone-outage with a duration; parameters parse their own output again', () => {
    expect(awsFaultSchema.parse({ type: 'ec2-stop', duration: '5m' })).toEqual({ type: 'ec2-stop', parameters: { hibernate: false }, duration: 300_000 });
    const parsed = awsFaultSchema.parse({ type: 'zone-outage', parameters: { hibernate: true }, duration: '10m' });
    expect(INSTANCE_FAULT_PARAMS['zone-outage'].parse(parsed.parameters)).toEqual({ hibernate: true });
    expect(awsFaultSchema.safeParse({ type: 'ec2-stop' }).success).toBe(false);
    expect(awsFaultSchema.safeParse({ type: 'ec2-stop', duration: '1m', parameters: { force: true } }).success).toBe(false);
    expect(awsFaultSchema.safeParse({ type: 'ec2-terminate', duration: '1m' }).success).toBe(false);
  });
});
