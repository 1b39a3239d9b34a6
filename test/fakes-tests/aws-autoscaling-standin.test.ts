/**
 * The Auto Scaling half of the AWS stand-in, through the real SDK v3 client, over the same world as
 * EC2: groups, their instances, suspended processes and tags.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AutoScalingClient,
  CreateOrUpdateTagsCommand,
  DeleteTagsCommand,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingInstancesCommand,
  DescribeTagsCommand,
  paginateDescribeAutoScalingGroups,
  paginateDescribeAutoScalingInstances,
  ResumeProcessesCommand,
  SuspendProcessesCommand,
} from '@aws-sdk/client-auto-scaling';
import { EC2Client, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { type AwsStandInHandle, startAwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/index.js';

let aws: AwsStandInHandle;
let asc: AutoScalingClient;

beforeEach(async () => {
  aws = await startAwsStandIn();
  asc = new AutoScalingClient(aws.clientConfig);
});
afterEach(async () => {
  asc.destroy();
  await aws.close();
});

async function failure(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );
}

function seed() {
  const w = aws.world;
  const web = [
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } }),
    w.addInstance({ zone: 'eu-west-1b', tags: { app: 'web' } }),
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } }),
  ];
  const db = [w.addInstance({ zone: 'eu-west-1c', tags: { app: 'db' } })];
  const loose = w.addInstance({ zone: 'eu-west-1a' });
  const webAsg = w.addAsg({ name: 'web-asg', instanceIds: web.map((i) => i.id), tags: { app: 'web', team: 'checkout' } });
  const dbAsg = w.addAsg({ name: 'db-asg', instanceIds: db.map((i) => i.id), tags: { app: 'db' } });
  return { web, db, loose, webAsg, dbAsg };
}

describe('DescribeAutoScalingGroups', () => {
  it('answers the groups with their zones, instances, suspended processes and tags', async () => {
    const { web, webAsg } = seed();
    webAsg.suspended.push('AZRebalance');
    const out = await asc.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }));
    expect(out.NextToken).toBeUndefined();
    expect(out.AutoScalingGroups).toHaveLength(1);
    const g = out.AutoScalingGroups![0]!;
    expect(g).toMatchObject({
      AutoScalingGroupName: 'web-asg',
      AvailabilityZones: ['eu-west-1a', 'eu-west-1b'],
      MinSize: 1,
      MaxSize: 6,
      DesiredCapacity: 3,
      HealthCheckType: 'EC2',
      SuspendedProcesses: [{ ProcessName: 'AZRebalance', SuspensionReason: expect.stringMatching(/^User suspended at /) }],
      Tags: [
        { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'app', Value: 'web', PropagateAtLaunch: false },
        { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'team', Value: 'checkout', PropagateAtLaunch: false },
      ],
    });
    expect(g.AutoScalingGroupARN).toMatch(/^arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:.*:autoScalingGroupName\/web-asg$/);
    expect(g.CreatedTime).toBeInstanceOf(Date);
    expect(g.Instances!.map((i) => [i.InstanceId, i.AvailabilityZone, i.LifecycleState, i.HealthStatus])).toEqual(web.map((i) => [i.id, i.zone, 'InService', 'Healthy']));
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists every group, filters by tag:KEY and tag-key, and omits unknown names', async () => {
    seed();
    const names = async (input: DescribeAutoScalingGroupsCommandInput) =>
      ((await asc.send(new DescribeAutoScalingGroupsCommand(input))).AutoScalingGroups ?? []).map((g) => g.AutoScalingGroupName);
    expect(await names({})).toEqual(['web-asg', 'db-asg']);
    expect(await names({ Filters: [{ Name: 'tag:app', Values: ['db'] }] })).toEqual(['db-asg']);
    expect(await names({ Filters: [{ Name: 'tag-key', Values: ['team'] }] })).toEqual(['web-asg']);
    expect(await names({ Filters: [{ Name: 'tag:app', Values: ['web', 'db'] }, { Name: 'tag-key', Values: ['team'] }] })).toEqual(['web-asg']);
    expect(await names({ AutoScalingGroupNames: ['nope', 'db-asg'] })).toEqual(['db-asg']);
    expect((await failure(asc.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })))).name).toBe('ValidationError');
  });

  it('pages by NextToken: the SDK paginator walks 3 pages', async () => {
    const i = aws.world.addInstance({ zone: 'eu-west-1a' });
    for (let n = 0; n < 12; n++) aws.world.addAsg({ name: `g-${n}`, instanceIds: n === 0 ? [i.id] : [] });
    const pages: string[][] = [];
    for await (const page of paginateDescribeAutoScalingGroups({ client: asc, pageSize: 5 }, {})) pages.push(page.AutoScalingGroups!.map((g) => g.AutoScalingGroupName!));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(Array.from({ length: 12 }, (_, n) => `g-${n}`));
    expect((await failure(asc.send(new DescribeAutoScalingGroupsCommand({ MaxRecords: 101 })))).name).toBe('ValidationError');
    expect((await failure(asc.send(new DescribeAutoScalingGroupsCommand({ NextToken: 'bogus' })))).name).toBe('InvalidNextToken');
  });
});

describe('DescribeAutoScalingInstances', () => {
  it('answers the group of each instance asked for; an instance in no group is left out', async () => {
    const { web, db, loose } = seed();
    const out = await asc.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [web[1]!.id, loose.id, db[0]!.id] }));
    expect(out.AutoScalingInstances!.map((i) => [i.InstanceId, i.AutoScalingGroupName, i.AvailabilityZone, i.LifecycleState, i.HealthStatus])).toEqual([
      [web[1]!.id, 'web-asg', 'eu-west-1b', 'InService', 'HEALTHY'],
      [db[0]!.id, 'db-asg', 'eu-west-1c', 'InService', 'HEALTHY'],
    ]);
  });

  it('sees EC2 state: a stopped instance is unhealthy', async () => {
    const { web } = seed();
    const ec2 = new EC2Client(aws.clientConfig);
    await ec2.send(new StopInstancesCommand({ InstanceIds: [web[0]!.id] }));
    ec2.destroy();
    const out = await asc.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [web[0]!.id] }));
    expect(out.AutoScalingInstances![0]!.HealthStatus).toBe('UNHEALTHY');
  });

  it('pages every grouped instance by NextToken: 3 pages', async () => {
    const ids = Array.from({ length: 11 }, () => aws.world.addInstance({ zone: 'eu-west-1a' }).id);
    aws.world.addAsg({ name: 'big', instanceIds: ids });
    const pages: string[][] = [];
    for await (const page of paginateDescribeAutoScalingInstances({ client: asc, pageSize: 5 }, {})) pages.push(page.AutoScalingInstances!.map((i) => i.InstanceId!));
    expect(pages.map((p) => p.length)).toEqual([5, 5, 1]);
    expect(pages.flat()).toEqual(ids);
    expect((await failure(asc.send(new DescribeAutoScalingInstancesCommand({ MaxRecords: 51 })))).name).toBe('ValidationError');
    // At most 50 instance ids per call, as AWS allows: more must be asked in batches.
    const many = Array.from({ length: 51 }, () => aws.world.addInstance({ zone: 'eu-west-1a' }).id);
    expect((await failure(asc.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: many })))).name).toBe('ValidationError');
    expect((await asc.send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [...ids.slice(0, 3), ...many.slice(0, 47)] }))).AutoScalingInstances).toHaveLength(3);
  });
});

describe('SuspendProcesses and ResumeProcesses', () => {
  it('suspends the named processes, lists them, and resumes them; the changes are recorded', async () => {
    const { webAsg } = seed();
    await asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['AZRebalance', 'Launch', 'ReplaceUnhealthy'] }));
    expect(webAsg.suspended).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    const g = (await asc.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] }))).AutoScalingGroups![0]!;
    expect(g.SuspendedProcesses!.map((s) => s.ProcessName)).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    await asc.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['Launch'] }));
    expect(webAsg.suspended).toEqual(['AZRebalance', 'ReplaceUnhealthy']);
    await asc.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['AZRebalance', 'ReplaceUnhealthy'] }));
    expect(webAsg.suspended).toEqual([]);
    expect(aws.world.changes.map((c) => [c.action, c.ids])).toEqual([
      ['autoscaling:SuspendProcesses', ['web-asg']],
      ['autoscaling:ResumeProcesses', ['web-asg']],
      ['autoscaling:ResumeProcesses', ['web-asg']],
    ]);
    expect(aws.world.changes[0]!.detail).toEqual({ processes: ['AZRebalance', 'Launch', 'ReplaceUnhealthy'], added: ['AZRebalance', 'Launch', 'ReplaceUnhealthy'] });
  });

  it('no process named means every process, for suspend and for resume', async () => {
    const { dbAsg } = seed();
    await asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'db-asg' }));
    expect(dbAsg.suspended).toHaveLength(9);
    expect(dbAsg.suspended).toContain('AZRebalance');
    await asc.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'db-asg', ScalingProcesses: [] }));
    expect(dbAsg.suspended).toEqual([]);
  });

  it('refuses an unknown group or process with ValidationError', async () => {
    seed();
    expect((await failure(asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'nope', ScalingProcesses: ['Launch'] })))).name).toBe('ValidationError');
    const bad = await failure(asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['Lunch'] })));
    expect(bad.name).toBe('ValidationError');
    expect(bad.$metadata.httpStatusCode).toBe(400);
    expect(bad.message).toContain('Lunch');
  });
});

describe('tags', () => {
  it('creates or updates, describes by group and key, and deletes tags', async () => {
    const { webAsg } = seed();
    await asc.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:suspended', Value: 'AZRebalance,Launch,ReplaceUnhealthy', PropagateAtLaunch: false },
          { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:experiment', Value: 'exp-1', PropagateAtLaunch: true },
          { ResourceId: 'db-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:experiment', Value: 'exp-1', PropagateAtLaunch: false },
        ],
      }),
    );
    expect(webAsg.tags).toMatchObject({ 'faultline:suspended': 'AZRebalance,Launch,ReplaceUnhealthy', 'faultline:experiment': 'exp-1' });
    const byKey = await asc.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['faultline:experiment'] }] }));
    expect(byKey.Tags).toEqual([
      { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:experiment', Value: 'exp-1', PropagateAtLaunch: true },
      { ResourceId: 'db-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:experiment', Value: 'exp-1', PropagateAtLaunch: false },
    ]);
    const byGroup = await asc.send(new DescribeTagsCommand({ Filters: [{ Name: 'auto-scaling-group', Values: ['web-asg'] }, { Name: 'key', Values: ['faultline:experiment', 'faultline:suspended'] }] }));
    expect(byGroup.Tags!.map((t) => t.Key)).toEqual(['faultline:suspended', 'faultline:experiment']);
    const filtered = await asc.send(new DescribeAutoScalingGroupsCommand({ Filters: [{ Name: 'tag-key', Values: ['faultline:suspended'] }] }));
    expect(filtered.AutoScalingGroups!.map((g) => g.AutoScalingGroupName)).toEqual(['web-asg']);
    await asc.send(new DeleteTagsCommand({ Tags: [{ ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:suspended' }, { ResourceId: 'web-asg', ResourceType: 'auto-scaling-group', Key: 'faultline:experiment' }] }));
    expect(webAsg.tags).toEqual({ app: 'web', team: 'checkout' });
    expect(aws.world.changes.map((c) => [c.action, c.ids])).toEqual([
      ['autoscaling:CreateOrUpdateTags', ['web-asg', 'db-asg']],
      ['autoscaling:DeleteTags', ['web-asg']],
    ]);
    expect((await failure(asc.send(new CreateOrUpdateTagsCommand({ Tags: [{ ResourceId: 'nope', ResourceType: 'auto-scaling-group', Key: 'k', Value: 'v' }] })))).name).toBe('ValidationError');
  });

  it('pages DescribeTags by NextToken', async () => {
    const tags = Object.fromEntries(Array.from({ length: 12 }, (_, n) => [`k${n}`, `v${n}`]));
    aws.world.addAsg({ name: 'tagged', instanceIds: [], tags });
    const first = await asc.send(new DescribeTagsCommand({ MaxRecords: 5 }));
    expect(first.Tags).toHaveLength(5);
    const second = await asc.send(new DescribeTagsCommand({ MaxRecords: 5, NextToken: first.NextToken }));
    const third = await asc.send(new DescribeTagsCommand({ MaxRecords: 5, NextToken: second.NextToken }));
    expect(third.NextToken).toBeUndefined();
    expect([...first.Tags!, ...second.Tags!, ...third.Tags!].map((t) => t.Key)).toEqual(Object.keys(tags));
  });
});

describe('denied actions, signatures and throttling', () => {
  it('answers AccessDenied (403) in the Query error shape for a denied action, and changes nothing', async () => {
    const { webAsg } = seed();
    aws.world.deny('autoscaling:SuspendProcesses');
    const err = await failure(asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['Launch'] })));
    expect(err.name).toBe('AccessDenied');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toContain('autoscaling:SuspendProcesses');
    expect(err.Type).toBe('Sender');
    expect(webAsg.suspended).toEqual([]);
    await asc.send(new ResumeProcessesCommand({ AutoScalingGroupName: 'web-asg' }));
  });

  it('refuses a request signed with the wrong secret (SignatureDoesNotMatch)', async () => {
    seed();
    const wrong = new AutoScalingClient({ ...aws.clientConfig, credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    const err = await failure(wrong.send(new DescribeAutoScalingGroupsCommand({})));
    wrong.destroy();
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it("retries Throttling with the SDK's standard retry: 2 throttled, the third call succeeds", async () => {
    const { webAsg } = seed();
    aws.standIn.throttleNext('autoscaling', 2, 'SuspendProcesses');
    const out = await asc.send(new SuspendProcessesCommand({ AutoScalingGroupName: 'web-asg', ScalingProcesses: ['Launch'] }));
    expect(out.$metadata.attempts).toBe(3);
    expect(webAsg.suspended).toEqual(['Launch']);
    expect(aws.standIn.callsTo('autoscaling', 'SuspendProcesses').map((c) => c.status)).toEqual([400, 400, 200]);
  });

  it('surfaces Throttling when the retries run out', async () => {
    seed();
    const once = new AutoScalingClient({ ...aws.clientConfig, maxAttempts: 1 });
    aws.standIn.throttleNext('autoscaling', 1);
    const err = await failure(once.send(new DescribeAutoScalingGroupsCommand({})));
    once.destroy();
    expect(err.name).toBe('Throttling');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});
