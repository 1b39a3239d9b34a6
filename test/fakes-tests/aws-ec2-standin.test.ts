/**
 * The EC2 half of the AWS stand-in, through the real SDK v3 client: what it answers must be what the
 * SDK parses, errors included (their names are what the adapter branches on).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribeSubnetsCommand,
  EC2Client,
  paginateDescribeInstances,
  StartInstancesCommand,
  StopInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { type AwsStandInHandle, startAwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/index.js';

let aws: AwsStandInHandle;
let ec2: EC2Client;

beforeEach(async () => {
  aws = await startAwsStandIn();
  ec2 = new EC2Client(aws.clientConfig);
});
afterEach(async () => {
  ec2.destroy();
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

async function instances(input: DescribeInstancesCommandInput = {}): Promise<Instance[]> {
  const out = await ec2.send(new DescribeInstancesCommand(input));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

function seed() {
  const w = aws.world;
  return {
    a: w.addInstance({ zone: 'eu-west-1a', tags: { Name: 'web-1', app: 'web' }, type: 'm5.large', hibernation: true }),
    b: w.addInstance({ zone: 'eu-west-1b', tags: { Name: 'web-2', app: 'web' } }),
    c: w.addInstance({ zone: 'eu-west-1a', tags: { Name: 'db-1', app: 'db', 'faultline:protected': 'true' } }),
    d: w.addInstance({ zone: 'eu-west-1b', tags: { Name: 'old' }, state: 'stopped' }),
  };
}

describe('DescribeInstances', () => {
  it('answers every field the adapter reads, as the SDK parses it', async () => {
    const { a } = seed();
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [a.id] }));
    expect(out.NextToken).toBeUndefined();
    expect(out.Reservations).toHaveLength(1);
    const r = out.Reservations![0]!;
    expect(r.OwnerId).toBe('123456789012');
    const i = r.Instances![0]!;
    expect(i).toMatchObject({
      InstanceId: a.id,
      InstanceType: 'm5.large',
      State: { Code: 16, Name: 'running' },
      Placement: { AvailabilityZone: 'eu-west-1a' },
      SubnetId: a.subnetId,
      VpcId: a.vpcId,
      HibernationOptions: { Configured: true },
    });
    expect(i.LaunchTime).toBeInstanceOf(Date);
    expect(i.LaunchTime!.toISOString()).toBe(a.launchTime);
    expect(Object.fromEntries(i.Tags!.map((t) => [t.Key, t.Value]))).toEqual({ Name: 'web-1', app: 'web' });
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports the account set on the world', async () => {
    aws.world.accountId = '210987654321';
    aws.world.addInstance({ zone: 'eu-west-1a' });
    const out = await ec2.send(new DescribeInstancesCommand({}));
    expect(out.Reservations![0]!.OwnerId).toBe('210987654321');
  });

  it('filters by tag:KEY, tag-key, availability-zone, instance-state-name and instance-id (filters AND, values OR)', async () => {
    const { a, b, c, d } = seed();
    const ids = async (Filters: { Name: string; Values: string[] }[]) => (await instances({ Filters })).map((i) => i.InstanceId).sort();
    expect(await ids([{ Name: 'tag:app', Values: ['web'] }])).toEqual([a.id, b.id].sort());
    expect(await ids([{ Name: 'tag:app', Values: ['web', 'db'] }])).toEqual([a.id, b.id, c.id].sort());
    expect(await ids([{ Name: 'tag-key', Values: ['faultline:protected'] }])).toEqual([c.id]);
    expect(await ids([{ Name: 'availability-zone', Values: ['eu-west-1a'] }])).toEqual([a.id, c.id].sort());
    expect(await ids([{ Name: 'instance-state-name', Values: ['stopped'] }])).toEqual([d.id]);
    expect(await ids([{ Name: 'instance-id', Values: [b.id, d.id] }])).toEqual([b.id, d.id].sort());
    expect(await ids([{ Name: 'tag:app', Values: ['web'] }, { Name: 'availability-zone', Values: ['eu-west-1b'] }])).toEqual([b.id]);
    expect(await ids([{ Name: 'tag:Name', Values: ['web-*'] }])).toEqual([a.id, b.id].sort());
    expect(await ids([{ Name: 'tag:app', Values: ['nothing'] }])).toEqual([]);
  });

  it('refuses an unknown instance id and an unknown filter as EC2 does', async () => {
    seed();
    const missing = await failure(ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })));
    expect(missing.name).toBe('InvalidInstanceID.NotFound');
    expect(missing.$metadata.httpStatusCode).toBe(400);
    expect(missing.message).toContain('i-0123456789abcdef0');
    // The request id of an error is in $metadata (from the x-amzn-requestid header), as for a success.
    expect(missing.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(missing.Error).toMatchObject({ Code: 'InvalidInstanceID.NotFound' });
    const filter = await failure(ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })));
    expect(filter.name).toBe('InvalidParameterValue');
  });

  it('pages by MaxResults and NextToken: the SDK paginator walks 3 pages', async () => {
    const made = Array.from({ length: 12 }, (_, n) => aws.world.addInstance({ zone: n % 2 ? 'eu-west-1a' : 'eu-west-1b', tags: { app: 'web' } }).id);
    aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'db' } });
    const pages: string[][] = [];
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, { Filters: [{ Name: 'tag:app', Values: ['web'] }] })) {
      pages.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!));
    }
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual(made);
    const sent = aws.standIn.callsTo('ec2', 'DescribeInstances');
    expect(sent).toHaveLength(3);
  });

  it('without MaxResults answers everything at once; MaxResults outside 5..1000 or beside InstanceIds is refused', async () => {
    for (let n = 0; n < 1200; n++) aws.world.addInstance({ zone: 'eu-west-1a' });
    const out = await ec2.send(new DescribeInstancesCommand({}));
    expect(out.Reservations).toHaveLength(1200);
    expect(out.NextToken).toBeUndefined();
    expect((await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 })))).name).toBe('InvalidParameterValue');
    expect((await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 1001 })))).name).toBe('InvalidParameterValue');
    const id = aws.world.instances.keys().next().value!;
    expect((await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, InstanceIds: [id] })))).name).toBe('InvalidParameterCombination');
    expect((await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: 'bogus' })))).name).toBe('InvalidPaginationToken');
    // A token belongs to the filters it was issued for.
    const first = await ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    expect((await failure(ec2.send(new DescribeInstancesCommand({ MaxResults: 5, NextToken: first.NextToken, Filters: [{ Name: 'instance-state-name', Values: ['running'] }] })))).name).toBe('InvalidPaginationToken');
  });

  // How fast is measured in bench/aws.ts; here, that 5,000 come back complete in five pages.
  it('describes 5,000 instances in pages of 1,000', async () => {
    for (let n = 0; n < 5000; n++) aws.world.addInstance({ zone: `eu-west-1${'abc'[n % 3]}`, tags: { app: n % 10 ? 'web' : 'db', Name: `web-${n}` } });
    let count = 0;
    let pages = 0;
    for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: [{ Name: 'tag:app', Values: ['web'] }] })) {
      pages += 1;
      count += (page.Reservations ?? []).length;
    }
    expect(count).toBe(4500);
    expect(pages).toBe(5);
  });
});

describe('StopInstances and StartInstances', () => {
  it('stops: StoppingInstances with previous and current state; the next describe shows stopped', async () => {
    const { a, b, d } = seed();
    const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [a.id, b.id, d.id] }));
    expect(out.StoppingInstances).toEqual([
      { InstanceId: a.id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } },
      { InstanceId: b.id, PreviousState: { Code: 16, Name: 'running' }, CurrentState: { Code: 64, Name: 'stopping' } },
      { InstanceId: d.id, PreviousState: { Code: 80, Name: 'stopped' }, CurrentState: { Code: 80, Name: 'stopped' } },
    ]);
    const after = await instances({ InstanceIds: [a.id, b.id] });
    expect(after.map((i) => i.State?.Name)).toEqual(['stopped', 'stopped']);
    expect(aws.world.changes).toEqual([{ at: expect.any(Number), action: 'ec2:StopInstances', ids: [a.id, b.id] }]);
  });

  it('hibernates an instance enabled for hibernation, and refuses one that is not', async () => {
    const { a, b } = seed();
    const refused = await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [a.id, b.id], Hibernate: true })));
    expect(refused.name).toBe('UnsupportedHibernationConfiguration');
    expect(refused.message).toContain(b.id);
    expect(aws.world.instances.get(a.id)!.state).toBe('running');
    const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [a.id], Hibernate: true }));
    expect(out.StoppingInstances![0]!.CurrentState!.Name).toBe('stopping');
    expect(aws.world.changes.at(-1)).toMatchObject({ action: 'ec2:StopInstances', ids: [a.id], detail: { hibernate: true } });
  });

  it('takes transitionMs to settle: stopping, then stopped; pending, then running', async () => {
    const { a } = seed();
    aws.world.transitionMs = 400;
    await ec2.send(new StopInstancesCommand({ InstanceIds: [a.id] }));
    expect((await instances({ InstanceIds: [a.id] }))[0]!.State!.Name).toBe('stopping');
    // The world's instance is a plain object: spread and toEqual see its state like any field.
    expect({ ...aws.world.instances.get(a.id)! }).toEqual({ ...a, state: 'stopping' });
    expect(JSON.parse(JSON.stringify(aws.world.instances.get(a.id)))).toMatchObject({ id: a.id, state: 'stopping' });
    const restart = await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [a.id] })));
    expect(restart.name).toBe('IncorrectInstanceState');
    await new Promise((r) => setTimeout(r, 450));
    expect((await instances({ InstanceIds: [a.id] }))[0]!.State!.Name).toBe('stopped');
    const started = await ec2.send(new StartInstancesCommand({ InstanceIds: [a.id] }));
    expect(started.StartingInstances).toEqual([{ InstanceId: a.id, PreviousState: { Code: 80, Name: 'stopped' }, CurrentState: { Code: 0, Name: 'pending' } }]);
    expect(aws.world.instances.get(a.id)!.state).toBe('pending');
    await new Promise((r) => setTimeout(r, 450));
    expect(aws.world.instances.get(a.id)!.state).toBe('running');
    expect(aws.world.changes.map((c) => c.action)).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
  });

  it('starts a stopped instance; a running one is left as it is', async () => {
    const { a, d } = seed();
    const out = await ec2.send(new StartInstancesCommand({ InstanceIds: [d.id, a.id] }));
    expect(out.StartingInstances!.map((s) => [s.InstanceId, s.PreviousState!.Name, s.CurrentState!.Name])).toEqual([
      [d.id, 'stopped', 'pending'],
      [a.id, 'running', 'running'],
    ]);
    expect((await instances({ InstanceIds: [d.id] }))[0]!.State!.Name).toBe('running');
  });

  it('refuses unknown and malformed ids', async () => {
    seed();
    expect((await failure(ec2.send(new StopInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })))).name).toBe('InvalidInstanceID.NotFound');
    expect((await failure(ec2.send(new StartInstancesCommand({ InstanceIds: ['web-1'] })))).name).toBe('InvalidInstanceID.Malformed');
  });
});

describe('CreateTags, DeleteTags and DescribeSubnets', () => {
  it('tags and untags instances; the changes are recorded', async () => {
    const { a, b } = seed();
    await ec2.send(new CreateTagsCommand({ Resources: [a.id, b.id], Tags: [{ Key: 'faultline:experiment', Value: 'exp-1' }, { Key: 'faultline:expires-at', Value: '2026-12-04T02:00:00Z' }] }));
    expect(aws.world.instances.get(b.id)!.tags).toMatchObject({ 'faultline:experiment': 'exp-1', 'faultline:expires-at': '2026-12-04T02:00:00Z' });
    const tagged = await instances({ Filters: [{ Name: 'tag:faultline:experiment', Values: ['exp-1'] }] });
    expect(tagged.map((i) => i.InstanceId).sort()).toEqual([a.id, b.id].sort());
    // A Tag without Value deletes the key whatever its value; with a Value, only when it matches.
    await ec2.send(new DeleteTagsCommand({ Resources: [a.id, b.id], Tags: [{ Key: 'faultline:experiment' }, { Key: 'faultline:expires-at', Value: 'another' }] }));
    expect(aws.world.instances.get(a.id)!.tags).toEqual({ Name: 'web-1', app: 'web', 'faultline:expires-at': '2026-12-04T02:00:00Z' });
    expect(aws.world.changes.map((c) => [c.action, c.ids])).toEqual([
      ['ec2:CreateTags', [a.id, b.id]],
      ['ec2:DeleteTags', [a.id, b.id]],
    ]);
    expect(aws.world.changes[0]!.detail).toEqual({ tags: { 'faultline:experiment': 'exp-1', 'faultline:expires-at': '2026-12-04T02:00:00Z' } });
    expect((await failure(ec2.send(new CreateTagsCommand({ Resources: ['i-0000000000000dead'], Tags: [{ Key: 'k', Value: 'v' }] })))).name).toBe('InvalidInstanceID.NotFound');
  });

  it('describes subnets by tag, id and zone', async () => {
    const s1 = aws.world.addSubnet({ zone: 'eu-west-1a', tags: { tier: 'app', Name: 'app-a' } });
    const s2 = aws.world.addSubnet({ zone: 'eu-west-1b', tags: { tier: 'app' } });
    aws.world.addSubnet({ zone: 'eu-west-1b', tags: { tier: 'db' } });
    const byTag = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:tier', Values: ['app'] }] }));
    expect(byTag.Subnets!.map((s) => s.SubnetId)).toEqual([s1.id, s2.id]);
    expect(byTag.Subnets![0]).toMatchObject({ SubnetId: s1.id, AvailabilityZone: 'eu-west-1a', VpcId: s1.vpcId, CidrBlock: s1.cidr, State: 'available', OwnerId: '123456789012', Tags: [{ Key: 'tier', Value: 'app' }, { Key: 'Name', Value: 'app-a' }] });
    const byZone = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:tier', Values: ['app'] }, { Name: 'availability-zone', Values: ['eu-west-1b'] }] }));
    expect(byZone.Subnets!.map((s) => s.SubnetId)).toEqual([s2.id]);
    const byId = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [s2.id] }));
    expect(byId.Subnets!.map((s) => s.SubnetId)).toEqual([s2.id]);
    await ec2.send(new CreateTagsCommand({ Resources: [s2.id], Tags: [{ Key: 'faultline:experiment', Value: 'exp-2' }] }));
    expect(aws.world.subnets.get(s2.id)!.tags['faultline:experiment']).toBe('exp-2');
    expect((await failure(ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-00000000000dead00'] })))).name).toBe('InvalidSubnetID.NotFound');
  });

  it("an instance's subnet is described too", async () => {
    const a = aws.world.addInstance({ zone: 'eu-west-1c' });
    const out = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [a.subnetId] }));
    expect(out.Subnets![0]).toMatchObject({ SubnetId: a.subnetId, AvailabilityZone: 'eu-west-1c', VpcId: a.vpcId });
  });
});

describe('DryRun and denied actions', () => {
  it('answers DryRunOperation (412) when allowed, and changes nothing', async () => {
    const { a } = seed();
    for (const cmd of [
      new StopInstancesCommand({ InstanceIds: [a.id], DryRun: true }),
      new StartInstancesCommand({ InstanceIds: [a.id], DryRun: true }),
      new DescribeInstancesCommand({ DryRun: true }),
      new CreateTagsCommand({ Resources: [a.id], Tags: [{ Key: 'k', Value: 'v' }], DryRun: true }),
      new DeleteTagsCommand({ Resources: [a.id], Tags: [{ Key: 'app' }], DryRun: true }),
      new DescribeSubnetsCommand({ DryRun: true }),
    ]) {
      const err = await failure(ec2.send(cmd as any));
      expect(err.name).toBe('DryRunOperation');
      expect(err.message).toBe('Request would have succeeded, but DryRun flag is set.');
      expect(err.$metadata.httpStatusCode).toBe(412);
    }
    expect(aws.world.instances.get(a.id)!.state).toBe('running');
    expect(aws.world.instances.get(a.id)!.tags).toEqual({ Name: 'web-1', app: 'web' });
    expect(aws.world.changes).toEqual([]);
  });

  it('answers UnauthorizedOperation (403) for a denied action, DryRun or not, naming the action', async () => {
    const { a } = seed();
    aws.world.deny('ec2:StopInstances', 'CreateTags');
    const dry = await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [a.id], DryRun: true })));
    expect(dry.name).toBe('UnauthorizedOperation');
    expect(dry.$metadata.httpStatusCode).toBe(403);
    expect(dry.message).toContain('ec2:StopInstances');
    const real = await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [a.id] })));
    expect(real.name).toBe('UnauthorizedOperation');
    expect((await failure(ec2.send(new CreateTagsCommand({ Resources: [a.id], Tags: [{ Key: 'k', Value: 'v' }], DryRun: true })))).name).toBe('UnauthorizedOperation');
    expect((await failure(ec2.send(new StartInstancesCommand({ InstanceIds: [a.id], DryRun: true })))).name).toBe('DryRunOperation');
    expect(aws.world.instances.get(a.id)!.state).toBe('running');
    aws.world.allow();
    expect((await failure(ec2.send(new StopInstancesCommand({ InstanceIds: [a.id], DryRun: true })))).name).toBe('DryRunOperation');
  });

  it('checks the instances before the permission: a DryRun stop of a missing instance says it is missing', async () => {
    expect((await failure(ec2.send(new StopInstancesCommand({ InstanceIds: ['i-0000000000000dead'], DryRun: true })))).name).toBe('InvalidInstanceID.NotFound');
  });
});

describe('signatures and throttling', () => {
  it('refuses a request signed with the wrong secret (SignatureDoesNotMatch)', async () => {
    aws.world.addInstance({ zone: 'eu-west-1a' });
    const wrong = new EC2Client({ ...aws.clientConfig, credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    const err = await failure(wrong.send(new DescribeInstancesCommand({})));
    wrong.destroy();
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  it("retries RequestLimitExceeded with the SDK's standard retry: 2 throttled, the third call succeeds", async () => {
    const { a } = seed();
    aws.standIn.throttleNext('ec2', 2, 'StopInstances');
    const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [a.id] }));
    expect(out.StoppingInstances![0]!.CurrentState!.Name).toBe('stopping');
    expect(out.$metadata.attempts).toBe(3);
    expect(aws.standIn.callsTo('ec2', 'StopInstances').map((c) => c.status)).toEqual([400, 400, 200]);
  });

  it('surfaces RequestLimitExceeded when the retries run out', async () => {
    seed();
    const once = new EC2Client({ ...aws.clientConfig, maxAttempts: 1 });
    aws.standIn.throttleNext('ec2', 1);
    const err = await failure(once.send(new DescribeInstancesCommand({})));
    once.destroy();
    expect(err.name).toBe('RequestLimitExceeded');
    expect(err.$metadata.httpStatusCode).toBe(503);
  });
});
