/**
 * What keeps the aws adapter safe, through the real SDK clients against the stand-in: the allow-lists,
 * the DryRun permission check, throttling retried by the SDK, AWS errors said with code and request id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { awsBench, fault, injectContext, target, type AwsBench } from './aws-support.js';

let b: AwsBench;
beforeEach(async () => {
  b = await awsBench();
});
afterEach(async () => {
  await b.close();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

interface Failure {
  code: string;
  message: string;
  details: Record<string, unknown>;
}
const failure = (p: Promise<unknown>): Promise<Failure> =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as Failure,
  );

describe('allow-lists', () => {
  it('an account not listed is refused at preview and at inject, naming the account and adapters.targets.aws.accounts', async () => {
    b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const allowed = b.driver();
    const targets = await allowed.preview(target({ selector: { app: 'web' } }), { log: quiet });
    const other = b.driver({ accounts: ['999999999999'] });
    await expect(other.preview(target({ selector: { app: 'web' } }), { log: quiet })).rejects.toMatchObject({
      code: 'protected_target',
      message: expect.stringMatching(/account 123456789012 .*adapters\.targets\.aws\.accounts/),
      details: { account: '123456789012', field: 'adapters.targets.aws.accounts' },
    });
    await expect(other.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log))).rejects.toMatchObject({ code: 'protected_target' });
    expect(b.aws.world.changes).toEqual([]);
  });

  it('no accounts configured: everything is refused before AWS is asked', async () => {
    const d = b.driver({ accounts: [] });
    await expect(d.preview(target({ selector: { app: 'web' } }), { log: quiet })).rejects.toMatchObject({ code: 'protected_target', message: expect.stringContaining('adapters.targets.aws.accounts is empty') });
    expect(b.aws.standIn.calls).toEqual([]);
  });

  it('a region outside the list is refused before AWS is asked, naming the region and adapters.targets.aws.regions', async () => {
    const d = b.driver({ regions: ['eu-west-1', 'eu-central-1'] });
    await expect(d.preview(target({ selector: { app: 'web' }, region: 'us-east-1' }), { log: quiet })).rejects.toMatchObject({
      code: 'protected_target',
      message: expect.stringMatching(/region us-east-1 .*adapters\.targets\.aws\.regions/),
      details: { region: 'us-east-1', field: 'adapters.targets.aws.regions' },
    });
    // With no list, only the default region.
    await expect(b.driver().preview(target({ selector: { app: 'web' }, region: 'eu-central-1' }), { log: quiet })).rejects.toMatchObject({ code: 'protected_target' });
    expect(b.aws.standIn.calls).toEqual([]);
    expect(await d.preview(target({ selector: { app: 'web' }, region: 'eu-central-1' }), { log: quiet })).toEqual([]);
  });
});

describe('the permission check (DryRun)', () => {
  it.each(['ec2:StopInstances', 'ec2:CreateTags'])('without %s the start is refused naming it, and nothing changes', async (action) => {
    b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    b.aws.world.deny(action);
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    await expect(d.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log))).rejects.toMatchObject({
      code: 'inject_failed',
      message: expect.stringContaining(`missing permission ${action}`),
      details: { missingAction: action },
    });
    expect(b.aws.world.changes).toEqual([]);
    expect([...b.aws.world.instances.values()].every((i) => i.state === 'running')).toBe(true);
  });

  it.each(['ec2:StartInstances', 'ec2:DeleteTags'])('without %s (needed to revert) nothing is stopped and the marks are taken off again', async (action) => {
    const i = b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    b.aws.world.deny(action);
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    await expect(d.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log))).rejects.toMatchObject({ code: 'inject_failed', details: { missingAction: action } });
    expect(b.aws.world.changes.map((c) => c.action)).not.toContain('ec2:StopInstances');
    expect(b.aws.world.instances.get(i.id)!.state).toBe('running');
    if (action !== 'ec2:DeleteTags') expect(Object.keys(b.aws.world.instances.get(i.id)!.tags).filter((k) => k.startsWith('faultline:'))).toEqual([]);
  });

  it('zone-outage without autoscaling:SuspendProcesses: the group is unmarked again and no instance is stopped', async () => {
    const a = b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const web = b.aws.world.addAsg({ name: 'web-asg', instanceIds: [a.id] });
    b.aws.world.deny('autoscaling:SuspendProcesses');
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a' }), { log: quiet });
    await expect(d.inject(fault({ type: 'zone-outage' }), targets, injectContext(b.log))).rejects.toMatchObject({ code: 'inject_failed', message: expect.stringContaining('AccessDenied') });
    expect(b.aws.world.changes.map((c) => c.action)).not.toContain('ec2:StopInstances');
    expect(Object.keys(web.tags)).toEqual([]);
    expect(web.suspended).toEqual([]);
  });

  it('an instance protected after approval is refused at inject', async () => {
    const i = b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    b.aws.world.instances.get(i.id)!.tags[AWS_TAGS.protected] = 'true';
    await expect(d.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log))).rejects.toMatchObject({ code: 'protected_target' });
    expect(b.aws.world.changes).toEqual([]);
  });
});

describe('AWS errors', () => {
  it("throttling is retried by the SDK's standard retry mode", async () => {
    b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    b.aws.standIn.throttleNext('ec2', 2, 'DescribeInstances');
    const found = await b.driver().preview(target({ selector: { app: 'web' } }), { log: quiet });
    expect(found).toHaveLength(1);
    expect(b.aws.standIn.callsTo('ec2', 'DescribeInstances').map((c) => c.status)).toEqual([400, 400, 200]);
  });

  it('throttling past maxAttempts is adapter_error with the code and the request id, no stack', async () => {
    b.aws.standIn.throttleNext('ec2', 10, 'DescribeInstances');
    const err = await failure(b.driver({ maxAttempts: 2 }).preview(target({ selector: { app: 'web' } }), { log: quiet }));
    expect(err).toMatchObject({ code: 'adapter_error', details: { awsCode: 'RequestLimitExceeded' } });
    expect(err.message).toMatch(/^could not list the instances in eu-west-1: RequestLimitExceeded: .*\(request id [0-9a-f-]{36}, HTTP 503\)$/);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(err.details.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a refused read is adapter_error with its code and request id', async () => {
    b.aws.world.deny('ec2:DescribeInstances');
    const err = await failure(b.driver().preview(target({ selector: { app: 'web' } }), { log: quiet }));
    expect(err).toMatchObject({ code: 'adapter_error', details: { awsCode: 'UnauthorizedOperation', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(err.message).toMatch(/UnauthorizedOperation: .*\(request id [0-9a-f-]{36}, HTTP 403\)$/);
  });
});
