import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictException,
  CreateExperimentTemplateCommand,
  DeleteExperimentTemplateCommand,
  FisClient,
  GetExperimentCommand,
  GetExperimentTemplateCommand,
  ListExperimentsCommand,
  ListExperimentTemplatesCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartExperimentCommand,
  StopExperimentCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  paginateListExperimentTemplates,
} from '@aws-sdk/client-fis';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { FisWorld, registerFis } from '../fakes/aws/fis-service.js';

let standIn: AwsStandIn;
let world: FisWorld;
let clock = 1_700_000_000_000;
let fis: FisClient;

const client = (extra: Record<string, unknown> = {}) => new FisClient({ region: 'eu-west-1', endpoint: standIn.url, credentials: TEST_CREDENTIALS, ...extra });

beforeAll(async () => {
  standIn = await AwsStandIn.start();
});
afterAll(async () => {
  fis?.destroy();
  await standIn.close();
});
beforeEach(() => {
  clock = 1_700_000_000_000;
  world = new FisWorld({ now: () => clock });
  registerFis(standIn, world);
  fis?.destroy();
  fis = client();
});

describe('FIS stand-in: experiment templates', () => {
  it('lists templates page by page with nextToken, as the SDK paginator reads them', async () => {
    for (let i = 0; i < 7; i++) world.addTemplate({ description: `t${i}`, tags: { team: i % 2 ? 'a' : 'b' } });
    world.defaultPageSize = 3;
    const first = await fis.send(new ListExperimentTemplatesCommand({}));
    expect(first.experimentTemplates).toHaveLength(3);
    expect(first.nextToken).toBeTruthy();
    expect(first.experimentTemplates![0]!.creationTime).toBeInstanceOf(Date);
    expect(first.experimentTemplates![0]!.creationTime!.getTime()).toBe(clock);
    const seen: string[] = [];
    for await (const page of paginateListExperimentTemplates({ client: fis, pageSize: 2 }, {})) seen.push(...page.experimentTemplates!.map((t) => t.description!));
    expect(seen).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6']);
    await expect(fis.send(new ListExperimentTemplatesCommand({ nextToken: 'bogus' }))).rejects.toBeInstanceOf(ValidationException);
  });

  it('creates a template (idempotent by client token), reads and deletes it; a missing one is ResourceNotFoundException with status and request id', async () => {
    const input = {
      clientToken: 'tok-1',
      description: 'cut the subnet',
      stopConditions: [{ source: 'none' }],
      targets: { subnets: { resourceType: 'aws:ec2:subnet', resourceArns: ['arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-1'], selectionMode: 'ALL' } },
      actions: { cut: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: 'PT2M' }, targets: { Subnets: 'subnets' } } },
      roleArn: 'arn:aws:iam::123456789012:role/fis',
      tags: { owner: 'me' },
    };
    const a = await fis.send(new CreateExperimentTemplateCommand(input));
    const b = await fis.send(new CreateExperimentTemplateCommand(input));
    expect(b.experimentTemplate!.id).toBe(a.experimentTemplate!.id);
    expect(world.templates.size).toBe(1);
    const got = await fis.send(new GetExperimentTemplateCommand({ id: a.experimentTemplate!.id! }));
    expect(got.experimentTemplate).toMatchObject({ description: 'cut the subnet', tags: { owner: 'me' }, actions: { cut: { actionId: 'aws:network:disrupt-connectivity' } } });
    await fis.send(new DeleteExperimentTemplateCommand({ id: a.experimentTemplate!.id! }));
    const err = await fis.send(new GetExperimentTemplateCommand({ id: a.experimentTemplate!.id! })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    const e = err as ResourceNotFoundException;
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.message).toContain(a.experimentTemplate!.id!);
    expect(e.$metadata.httpStatusCode).toBe(404);
    expect(e.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a template whose action names an undefined target, or without a role (ValidationException, 400)', async () => {
    const err = await fis
      .send(new CreateExperimentTemplateCommand({ description: 'x', stopConditions: [{ source: 'none' }], roleArn: 'arn:aws:iam::123456789012:role/fis', actions: { a: { actionId: 'aws:fis:wait', targets: { Subnets: 'nope' } } } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationException);
    expect((err as ValidationException).$metadata.httpStatusCode).toBe(400);
    await expect(fis.send(new CreateExperimentTemplateCommand({ description: 'x', stopConditions: [{ source: 'none' }], actions: { a: { actionId: 'aws:fis:wait' } } } as never))).rejects.toBeInstanceOf(ValidationException);
  });
});

describe('FIS stand-in: experiments', () => {
  it('goes initiating → running → completed on the clock; StartExperiment is idempotent by client token', async () => {
    const t = world.addTemplate({ runMs: 1_000 });
    const started = await fis.send(new StartExperimentCommand({ clientToken: 'fh-1', experimentTemplateId: t.id, tags: { 'faultline:handle': 'fh-1' } }));
    const id = started.experiment!.id!;
    expect(started.experiment!.state!.status).toBe('initiating');
    const again = await fis.send(new StartExperimentCommand({ clientToken: 'fh-1', experimentTemplateId: t.id }));
    expect(again.experiment!.id).toBe(id);
    expect(world.experiments.size).toBe(1);
    const other = world.addTemplate({});
    await expect(fis.send(new StartExperimentCommand({ clientToken: 'fh-1', experimentTemplateId: other.id }))).rejects.toBeInstanceOf(ConflictException);
    clock += world.initiatingMs;
    expect((await fis.send(new GetExperimentCommand({ id }))).experiment!.state!.status).toBe('running');
    clock += 1_000;
    const done = (await fis.send(new GetExperimentCommand({ id }))).experiment!;
    expect(done.state).toEqual({ status: 'completed', reason: 'Experiment completed.' });
    expect(done.endTime!.getTime()).toBe(clock);
    expect(done.tags).toEqual({ 'faultline:handle': 'fh-1' });
    // Stopping what has ended is refused (the stand-in is strict where the reference says nothing).
    await expect(fis.send(new StopExperimentCommand({ id }))).rejects.toBeInstanceOf(ConflictException);
  });

  it('a stop goes stopping → stopped; the template cannot be deleted while its experiment is active', async () => {
    const t = world.addTemplate({});
    const id = (await fis.send(new StartExperimentCommand({ clientToken: 'c', experimentTemplateId: t.id }))).experiment!.id!;
    clock += 100;
    expect((await fis.send(new StopExperimentCommand({ id }))).experiment!.state!.status).toBe('stopping');
    await expect(fis.send(new DeleteExperimentTemplateCommand({ id: t.id }))).rejects.toBeInstanceOf(ConflictException);
    clock += world.stoppingMs;
    expect((await fis.send(new GetExperimentCommand({ id }))).experiment!.state!.status).toBe('stopped');
    await fis.send(new DeleteExperimentTemplateCommand({ id: t.id }));
  });

  it('endExperiment: a stop condition or a failed action ends it by itself', async () => {
    const t = world.addTemplate({});
    const id = (await fis.send(new StartExperimentCommand({ clientToken: 'c', experimentTemplateId: t.id }))).experiment!.id!;
    clock += 500;
    world.endExperiment(id, 'stopped', 'Stop condition triggered: alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors');
    expect((await fis.send(new GetExperimentCommand({ id }))).experiment!.state).toEqual({ status: 'stopped', reason: 'Stop condition triggered: alarm arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors' });
  });

  it('lists experiments with their tags and state, paginated; too many active is ServiceQuotaExceededException (402)', async () => {
    const t = world.addTemplate({});
    world.maxActive = 4;
    for (let i = 0; i < 4; i++) await fis.send(new StartExperimentCommand({ clientToken: `c${i}`, experimentTemplateId: t.id, tags: { n: String(i) } }));
    const err = await fis.send(new StartExperimentCommand({ clientToken: 'c9', experimentTemplateId: t.id })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceQuotaExceededException);
    expect((err as ServiceQuotaExceededException).$metadata.httpStatusCode).toBe(402);
    const p1 = await fis.send(new ListExperimentsCommand({ maxResults: 3 }));
    const p2 = await fis.send(new ListExperimentsCommand({ maxResults: 3, nextToken: p1.nextToken! }));
    expect(p1.experiments!.map((e) => e.tags!.n)).toEqual(['0', '1', '2']);
    expect(p2.experiments!.map((e) => e.tags!.n)).toEqual(['3']);
    expect(p2.nextToken).toBeUndefined();
    expect(p1.experiments![0]!.state!.status).toBe('initiating');
    expect(p1.experiments![0]!.creationTime).toBeInstanceOf(Date);
  });

  it('tags by ARN: TagResource, ListTagsForResource, UntagResource', async () => {
    const t = world.addTemplate({ tags: { a: '1' } });
    const arn = world.templateArn(t);
    await fis.send(new TagResourceCommand({ resourceArn: arn, tags: { b: '2', 'faultline:x': 'y/z' } }));
    expect((await fis.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ a: '1', b: '2', 'faultline:x': 'y/z' });
    await fis.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a', 'faultline:x'] }));
    expect(t.tags).toEqual({ b: '2' });
    await expect(fis.send(new ListTagsForResourceCommand({ resourceArn: `${arn}nope` }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('FIS stand-in: errors as the SDK parses them', () => {
  it('ThrottlingException (429) is retried by the SDK; without retries it surfaces with its code', async () => {
    const t = world.addTemplate({});
    world.failNext('GetExperimentTemplate', 'ThrottlingException', { n: 2 });
    expect((await fis.send(new GetExperimentTemplateCommand({ id: t.id }))).experimentTemplate!.id).toBe(t.id);
    expect(standIn.callsTo('fis').filter((c) => c.status === 429)).toHaveLength(2);
    const once = client({ maxAttempts: 1 });
    world.failNext('GetExperimentTemplate', 'ThrottlingException');
    const err = (await once.send(new GetExperimentTemplateCommand({ id: t.id })).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number; requestId: string } };
    once.destroy();
    expect(err.name).toBe('ThrottlingException');
    expect(err.$metadata.httpStatusCode).toBe(429);
    expect(err.$metadata.requestId).toBeTruthy();
  });

  it('the skeleton throttle (throttleNext) is read by the SDK as throttling and retried', async () => {
    world.addTemplate({});
    standIn.throttleNext('fis', 1);
    expect((await fis.send(new ListExperimentTemplatesCommand({}))).experimentTemplates).toHaveLength(1);
  });

  it('an answer lost after the start was carried out: the SDK retries with the same client token and one experiment runs', async () => {
    const t = world.addTemplate({});
    world.dropAnswerNext('StartExperiment');
    const out = await fis.send(new StartExperimentCommand({ clientToken: 'fh-lost', experimentTemplateId: t.id }));
    expect(world.experiments.size).toBe(1);
    expect(out.experiment!.id).toBe([...world.experiments.keys()][0]);
  });

  it('a wrong signature is refused before FIS sees it', async () => {
    const bad = client({ credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }, maxAttempts: 1 });
    const err = (await bad.send(new ListExperimentTemplatesCommand({})).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    bad.destroy();
    expect(err.$metadata.httpStatusCode).toBe(403);
  });
});
