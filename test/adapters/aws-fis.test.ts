import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EC2Client } from '@aws-sdk/client-ec2';
import { FisClient } from '@aws-sdk/client-fis';
import { isFaultlineError, type FaultlineError } from '../../src/core/errors.js';
import type { AdapterLogger, FaultHandle, FaultSpec, ResolvedTarget, TargetContext, TargetDriver, TargetSpec } from '../../src/core/ports.js';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { createFisFaults, type FisFaults } from '../../src/adapters/targets/aws/faults-fis.js';
import { fisActionFault, fisExperimentFault, fisInlineTarget, fisTemplateTarget } from '../../src/adapters/targets/aws/schema-fis.js';
import { createAwsDriver } from '../../src/adapters/targets/aws/driver.js';
import { createFisFamily } from '../../src/adapters/targets/aws/fis-family.js';
import { createInstanceFaults } from '../../src/adapters/targets/aws/faults-instances.js';
import { AwsTargetConfig } from '../../src/adapters/targets/aws/schema.js';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { CANDIDATES, engineFactory } from '../engine/engine-harness.js';
import { Ec2World } from '../fakes/aws/ec2-world.js';
import { registerEc2 } from '../fakes/aws/ec2-service.js';
import { registerAutoScaling } from '../fakes/aws/autoscaling-service.js';
import { FisWorld, registerFis, type FisService } from '../fakes/aws/fis-service.js';

const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::123456789012:role/fis-runner';

let standIn: AwsStandIn;
let world: FisWorld;
let service: FisService;
let ec2World: Ec2World;
const clients: Array<{ destroy(): void }> = [];
const families: Array<{ close(): void }> = [];

const quiet: AdapterLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const cfg = () => ({ region: REGION, endpoint: standIn.url, credentials: TEST_CREDENTIALS });
function fisClient(): FisClient {
  const c = new FisClient(cfg());
  clients.push(c);
  return c;
}
function ec2Client(): EC2Client {
  const c = new EC2Client(cfg());
  clients.push(c);
  return c;
}
/** A family as one process of the bot builds it; a second call is another process. */
function family(extra: { ec2?: EC2Client } = {}): FisFaults {
  const f = createFisFaults({ fis: fisClient(), region: REGION, log: quiet, now: Date.now, pollMs: 25, stopWaitMs: 5_000, ...extra });
  families.push(f);
  return f;
}

let seq = 0;
function runContext(durationMs = 60_000): TargetContext & { notes: Array<{ kind: string; data: Record<string, unknown> }> } {
  seq += 1;
  const notes: Array<{ kind: string; data: Record<string, unknown> }> = [];
  return { experimentId: `exp-${seq}`, handleId: `fh-${seq}`, expiresAt: Date.now() + durationMs, now: Date.now, log: quiet, note: (kind, data) => notes.push({ kind, data }), notes };
}
const discover = { log: quiet };

async function waitFor<T>(what: string, read: () => T | undefined | false, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const templateTarget = (template: unknown) => fisTemplateTarget.parse({ adapter: 'aws', template }) as unknown as TargetSpec;
const experimentFault = () => fisExperimentFault.parse({ type: 'fis-experiment', duration: '5m' }) as unknown as FaultSpec;
const actionFault = (targetName = 'app-subnets') =>
  fisActionFault.parse({
    type: 'fis-action',
    duration: '2m',
    parameters: { roleArn: ROLE, actions: { cut: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: 'PT2M', scope: 'all' }, targets: { Subnets: targetName } } } },
  }) as unknown as FaultSpec;
const inlineTarget = (def: Record<string, unknown> = { resourceType: 'aws:ec2:subnet', resourceTags: { app: 'web' }, selectionMode: 'ALL' }) =>
  fisInlineTarget.parse({ adapter: 'aws', fisTargets: { 'app-subnets': def } }) as unknown as TargetSpec;

function seedTemplate(p: Parameters<FisWorld['addTemplate']>[0] = {}) {
  return world.addTemplate({
    description: 'web tier: stop half the instances',
    targets: { web: { resourceType: 'aws:ec2:instance', resourceTags: { app: 'web' }, selectionMode: 'PERCENT(50)' } },
    actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: { startInstancesAfterDuration: 'PT5M' }, targets: { Instances: 'web' } } },
    stopConditions: [{ source: 'aws:cloudwatch:alarm', value: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx' }],
    tags: { team: 'web', scenario: 'half-down' },
    ...p,
  });
}

async function failure(p: Promise<unknown>): Promise<FaultlineError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFaultlineError(err)) throw new Error(`expected a FaultlineError, got ${String(err)}`);
  return err;
}

beforeAll(async () => {
  standIn = await AwsStandIn.start();
});
afterAll(async () => {
  await standIn.close();
});
beforeEach(() => {
  world = new FisWorld();
  service = registerFis(standIn, world);
  ec2World = new Ec2World();
  registerEc2(standIn, ec2World);
  registerAutoScaling(standIn, ec2World);
});
afterEach(async () => {
  // Stop every follower's polling before the next test's world (each revert stops its own).
  for (const f of families.splice(0)) f.close();
  for (const c of clients.splice(0)) c.destroy();
});

describe('fis-experiment: preview', () => {
  it('a template by id is one target with its description, targets and actions; the card lists each action and target', async () => {
    const t = seedTemplate();
    const fam = family();
    expect(fam.ownsTarget(templateTarget(t.id))).toBe(true);
    const [target, ...rest] = await fam.preview(templateTarget(t.id), discover);
    expect(rest).toEqual([]);
    expect(target).toMatchObject({
      id: `fis:${REGION}:${t.id}`,
      kind: 'fis-template',
      name: `${t.id} (web tier: stop half the instances)`,
      attributes: {
        region: REGION,
        templateId: t.id,
        description: 'web tier: stop half the instances',
        targets: 'target web: aws:ec2:instance by tags app=web, PERCENT(50)',
        actions: 'action stop: aws:ec2:stop-instances on Instances → web (startInstancesAfterDuration=PT5M)',
      },
    });
    expect(fam.describeTarget(templateTarget(t.id), [target!])).toEqual({ kind: 'fis-template', selection: `${t.id} in ${REGION}` });
    const lines = await fam.impact!(experimentFault(), [target!], discover);
    expect(lines).toEqual([
      'action stop: aws:ec2:stop-instances on Instances → web (startInstancesAfterDuration=PT5M)',
      'target web: aws:ec2:instance by tags app=web, PERCENT(50)',
      "the template's own stop conditions: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx",
      'Faultline stops it after 5m at most, or at once on a guardrail breach or an abort',
    ]);
  });

  it('a template by tags: exactly one must carry them (Faultline\'s own one-off templates never count)', async () => {
    const t = seedTemplate();
    world.addTemplate({ description: 'other', tags: { team: 'web' } });
    world.addTemplate({ description: 'ours', tags: { team: 'web', scenario: 'half-down', [AWS_TAGS.handle]: 'fh-old' } });
    world.defaultPageSize = 1; // the lookup pages through every template
    const fam = family();
    const [target] = await fam.preview(templateTarget({ tags: { team: 'web', scenario: 'half-down' } }), discover);
    expect(target!.attributes.templateId).toBe(t.id);
    expect(fam.describeTarget(templateTarget({ tags: { scenario: 'half-down' } }), [target!]).selection).toBe(`tags scenario=half-down (${t.id}) in ${REGION}`);
    const two = await failure(fam.preview(templateTarget({ tags: { team: 'web' } }), discover));
    expect(two.code).toBe('playbook_invalid');
    expect(two.message).toMatch(/2 FIS experiment templates .* carry the tags team=web/);
    expect((await failure(fam.preview(templateTarget({ tags: { team: 'nobody' } }), discover))).code).toBe('no_targets');
  });

  it('a template that does not exist: no_targets, with the AWS code and request id', async () => {
    const err = await failure(family().preview(templateTarget('EXTdoesnotexist1'), discover));
    expect(err.code).toBe('no_targets');
    expect(err.message).toMatch(/^FIS experiment template EXTdoesnotexist1 does not exist in eu-west-1 \(ResourceNotFoundException, request id [0-9a-f-]{36}\): Experiment template EXTdoesnotexist1 not found\.$/);
    expect(err.details).toMatchObject({ awsCode: 'ResourceNotFoundException', httpStatus: 404 });
  });

  it('a template tagged faultline:protected=true is refused', async () => {
    const t = seedTemplate({ tags: { [AWS_TAGS.protected]: 'true' } });
    expect((await failure(family().preview(templateTarget(t.id), discover))).code).toBe('protected_target');
  });
});

describe('fis-experiment: run', () => {
  it('starts the template with the handle id as client token and Faultline\'s tags; a retried start does not start twice', async () => {
    const t = seedTemplate();
    const fam = family();
    const targets = await fam.preview(templateTarget(t.id), discover);
    const ctx = runContext();
    world.dropAnswerNext('StartExperiment'); // applied, answer lost: the SDK retries with the same token
    const handle = await fam.inject(experimentFault(), targets, ctx);
    const again = await fam.inject(experimentFault(), targets, ctx); // the engine (or a late landing) asks again
    expect(world.experiments.size).toBe(1);
    const [e] = [...world.experiments.values()];
    expect(e!.clientToken).toBe(ctx.handleId);
    expect(e!.tags).toEqual({ [AWS_TAGS.experiment]: ctx.experimentId, [AWS_TAGS.handle]: ctx.handleId, [AWS_TAGS.expiresAt]: new Date(ctx.expiresAt).toISOString(), [AWS_TAGS.fault]: 'fis-experiment' });
    expect(handle.data).toEqual({ region: REGION, templateId: t.id, fisExperimentId: e!.id, inlineTemplate: false });
    expect(again.data).toEqual(handle.data);
    expect(ctx.notes[0]).toEqual({ kind: 'fis-experiment-start', data: { templateId: t.id, region: REGION, clientToken: ctx.handleId } });
    await fam.revert(handle, discover);
    expect(world.templates.has(t.id)).toBe(true); // the playbook's template is never deleted
  });

  it('followed to completion: the fault ends by itself and says so (fault-ended, completed); revert then stops nothing', async () => {
    const t = seedTemplate({ runMs: 150 });
    const fam = family();
    const targets = await fam.preview(templateTarget(t.id), discover);
    const ctx = runContext();
    const handle = await fam.inject(experimentFault(), targets, ctx);
    const ended = await waitFor('the fault-ended note', () => ctx.notes.find((n) => n.kind === 'fault-ended'));
    expect(ended.data).toMatchObject({ state: 'completed', status: 'completed', handleId: ctx.handleId, fisExperimentId: handle.data.fisExperimentId, templateId: t.id });
    expect(ended.data.reason).toBe(`FIS experiment ${String(handle.data.fisExperimentId)} completed: Experiment completed.`);
    await fam.revert(handle, discover);
    expect(service.operations).not.toContain('StopExperiment');
    expect(await fam.confirmReverted(handle, discover)).toEqual({ confirmed: true, differences: [], manualSteps: [] });
  });

  it("the template's own stop condition ends it: fault-ended, stopped, with FIS's reason", async () => {
    const t = seedTemplate();
    const fam = family();
    const ctx = runContext();
    const handle = await fam.inject(experimentFault(), await fam.preview(templateTarget(t.id), discover), ctx);
    await waitFor('the experiment to run', () => world.view(world.experiments.get(String(handle.data.fisExperimentId))!).status === 'running');
    world.endExperiment(String(handle.data.fisExperimentId), 'stopped', 'Stop condition triggered: alarm web-5xx');
    const ended = await waitFor('the fault-ended note', () => ctx.notes.find((n) => n.kind === 'fault-ended'));
    expect(ended.data).toMatchObject({ state: 'stopped', reason: `FIS experiment ${String(handle.data.fisExperimentId)} stopped: Stop condition triggered: alarm web-5xx` });
  });

  it('abort = StopExperiment: stopping, then stopped; Faultline\'s own stop is not reported as an end by itself; revert twice is fine', async () => {
    const t = seedTemplate();
    const fam = family();
    const ctx = runContext();
    const handle = await fam.inject(experimentFault(), await fam.preview(templateTarget(t.id), discover), ctx);
    const id = String(handle.data.fisExperimentId);
    await fam.revert(handle, discover);
    expect(service.operations.filter((o) => o === 'StopExperiment')).toHaveLength(1);
    const receipt = await fam.confirmReverted(handle, discover);
    if (!receipt.confirmed) {
      expect(receipt.differences).toEqual([`FIS experiment ${id} is stopping`]);
      expect(receipt.manualSteps).toEqual([`aws fis stop-experiment --id ${id} --region ${REGION}`]);
    }
    await waitFor('stopped', () => world.view(world.experiments.get(id)!).status === 'stopped');
    expect((await fam.confirmReverted(handle, discover)).confirmed).toBe(true);
    await fam.revert(handle, discover);
    expect(service.operations.filter((o) => o === 'StopExperiment')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.notes.filter((n) => n.kind === 'fault-ended')).toEqual([]);
  });

  it('a stop refused because the experiment ended meanwhile is fine', async () => {
    const t = seedTemplate();
    const fam = family();
    const handle = await fam.inject(experimentFault(), await fam.preview(templateTarget(t.id), discover), runContext());
    world.failNext('StopExperiment', 'ConflictException', { message: 'Experiment is completed and cannot be stopped.' });
    world.endExperiment(String(handle.data.fisExperimentId), 'completed');
    await fam.revert(handle, discover);
    expect((await fam.confirmReverted(handle, discover)).confirmed).toBe(true);
  });
});

describe('fis-action: a one-off template', () => {
  it('previews the subnets the FIS target matches (protected ones spared), pins them by ARN, creates the template tagged, starts, stops and deletes it', async () => {
    const a = ec2World.addSubnet({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-a' } });
    const b = ec2World.addSubnet({ zone: 'eu-west-1b', tags: { app: 'web' } });
    ec2World.addSubnet({ zone: 'eu-west-1c', tags: { app: 'web', [AWS_TAGS.protected]: 'true' } });
    ec2World.addSubnet({ zone: 'eu-west-1a', tags: { app: 'db' } });
    const fam = family({ ec2: ec2Client() });
    const targets = await fam.preview(inlineTarget(), discover);
    const arnOf = (id: string) => `arn:aws:ec2:${REGION}:123456789012:subnet/${id}`;
    expect(targets.map((t) => [t.id, t.name, t.kind, t.attributes.zone, t.attributes.fisTarget])).toEqual([
      [`fis:${REGION}:${arnOf(a.id)}`, `${a.id} (web-a)`, 'subnet', 'eu-west-1a', 'app-subnets'],
      [`fis:${REGION}:${arnOf(b.id)}`, b.id, 'subnet', 'eu-west-1b', 'app-subnets'],
    ]);
    expect(fam.describeTarget(inlineTarget(), targets)).toEqual({ kind: 'fis-targets', selection: `app-subnets=aws:ec2:subnet in ${REGION}` });
    expect(await fam.impact!(actionFault(), targets, discover)).toEqual([
      'action cut: aws:network:disrupt-connectivity on Subnets → app-subnets (duration=PT2M,scope=all)',
      `target app-subnets: aws:ec2:subnet by arns ${arnOf(a.id)}, ${arnOf(b.id)}, ALL`,
      `runs as ${ROLE}, from a one-off template (tagged ${AWS_TAGS.handle}) deleted at the end`,
      'Faultline stops it after 2m at most, or at once on a guardrail breach or an abort',
    ]);

    const ctx = runContext();
    const handle = await fam.inject(actionFault(), targets, ctx);
    const templateId = String(handle.data.templateId);
    const template = world.templates.get(templateId)!;
    expect(template.tags).toEqual({ [AWS_TAGS.experiment]: ctx.experimentId, [AWS_TAGS.handle]: ctx.handleId, [AWS_TAGS.expiresAt]: new Date(ctx.expiresAt).toISOString(), [AWS_TAGS.fault]: 'fis-action' });
    expect(template.targets).toEqual({ 'app-subnets': { resourceType: 'aws:ec2:subnet', resourceArns: [arnOf(a.id), arnOf(b.id)], selectionMode: 'ALL' } });
    expect(template.stopConditions).toEqual([{ source: 'none' }]);
    expect(template.roleArn).toBe(ROLE);
    const e = world.experiments.get(String(handle.data.fisExperimentId))!;
    expect(e.experimentTemplateId).toBe(templateId);
    expect(e.tags[AWS_TAGS.handle]).toBe(ctx.handleId);
    expect(handle.data).toMatchObject({ inlineTemplate: true, region: REGION });
    expect(ctx.notes.map((n) => n.kind)).toEqual(['fis-template-create', 'fis-experiment-start']);

    await fam.revert(handle, discover);
    expect(world.view(e).status).toBe('stopped'); // waited for the stop before deleting
    expect(world.templates.has(templateId)).toBe(false);
    expect(service.operations.slice(-1)).toEqual(['DeleteExperimentTemplate']);
    expect(await fam.confirmReverted(handle, discover)).toEqual({ confirmed: true, differences: [], manualSteps: [] });
    await fam.revert(handle, discover); // again: nothing left, no error
  });

  it('without an EC2 client the FIS target is previewed as its definition, and FIS resolves it by tags', async () => {
    const fam = family();
    const [t, ...rest] = await fam.preview(inlineTarget(), discover);
    expect(rest).toEqual([]);
    expect(t).toMatchObject({ kind: 'fis-target', name: 'app-subnets (aws:ec2:subnet by tags app=web)', attributes: { fisTarget: 'app-subnets', resourceType: 'aws:ec2:subnet', selectionMode: 'ALL' } });
    expect(t!.id).toMatch(/^fis:eu-west-1:target\/app-subnets\/[0-9a-f]{12}$/);
    const handle = await fam.inject(actionFault(), [t!], runContext());
    expect(world.templates.get(String(handle.data.templateId))!.targets['app-subnets']).toEqual({ resourceType: 'aws:ec2:subnet', resourceTags: { app: 'web' }, selectionMode: 'ALL' });
    await fam.revert(handle, discover);
  });

  it('an action naming a FIS target the playbook does not define is refused on the card, before anything is created', async () => {
    const fam = family();
    const targets = await fam.preview(inlineTarget(), discover);
    const err = await failure(fam.impact!(actionFault('db-subnets'), targets, discover));
    expect(err.code).toBe('playbook_invalid');
    expect(err.message).toContain('action cut targets "db-subnets"');
    expect((await failure(fam.inject(actionFault('db-subnets'), targets, runContext()))).code).toBe('inject_failed');
    expect(world.templates.size).toBe(0);
  });

  it('a start that fails deletes the one-off template it created; the error names the AWS code and request id, never a stack', async () => {
    const fam = family();
    const targets = await fam.preview(inlineTarget(), discover);
    world.failNext('StartExperiment', 'ValidationException', { message: 'The role arn:aws:iam::123456789012:role/fis-runner cannot be assumed by FIS.' });
    const err = await failure(fam.inject(actionFault(), targets, runContext()));
    expect(err.code).toBe('inject_failed');
    expect(err.message).toMatch(/^could not start FIS experiment template EXT\w+ \(ValidationException, request id [0-9a-f-]{36}\): The role .* cannot be assumed by FIS\.$/);
    expect(err.message).not.toMatch(/\n\s+at /);
    expect(err.details).toMatchObject({ awsCode: 'ValidationException', httpStatus: 400, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(world.templates.size).toBe(0);
    expect(world.experiments.size).toBe(0);
  });
});

describe('recovery from tags alone', () => {
  it('another process finds both faults by their tags (pages of experiments and templates), stops and deletes them', async () => {
    const t = seedTemplate();
    const first = family();
    const c1 = runContext();
    const c2 = runContext();
    const h1 = await first.inject(experimentFault(), await first.preview(templateTarget(t.id), discover), c1);
    const h2 = await first.inject(actionFault(), await first.preview(inlineTarget(), discover), c2);
    world.startExperiment(t, 'someone-else', { team: 'web' }); // not ours: no faultline:handle
    world.defaultPageSize = 1;

    const second = family(); // the bot restarted: nothing in memory
    const owned = await second.listOwned(discover);
    const byHandle = new Map(owned.map((h) => [h.handleId, h]));
    expect([...byHandle.keys()].sort()).toEqual([c1.handleId, c2.handleId].sort());
    expect(byHandle.get(c1.handleId)).toMatchObject({
      experimentId: c1.experimentId,
      adapter: 'aws',
      faultType: 'fis-experiment',
      expiresAt: Math.floor(c1.expiresAt),
      data: { region: REGION, templateId: t.id, fisExperimentId: h1.data.fisExperimentId, inlineTemplate: false, rebuilt: true },
    });
    expect(byHandle.get(c2.handleId)).toMatchObject({ faultType: 'fis-action', data: { templateId: h2.data.templateId, fisExperimentId: h2.data.fisExperimentId, inlineTemplate: true } });

    for (const h of owned) await second.revert(h, discover);
    expect(world.templates.has(String(h2.data.templateId))).toBe(false);
    expect(world.templates.has(t.id)).toBe(true);
    await waitFor('both stopped', () => [h1, h2].every((h) => world.view(world.experiments.get(String(h.data.fisExperimentId))!).status === 'stopped'));
    expect(await second.listOwned(discover)).toEqual([]);
    for (const h of owned) expect((await second.confirmReverted(h, discover)).confirmed).toBe(true);
    expect(world.activeExperiments().map((e) => e.clientToken)).toEqual(['someone-else']);
  });

  it('a one-off template left behind after its experiment ended is found and deleted', async () => {
    const fam = family();
    const ctx = runContext();
    const h = await fam.inject(actionFault(), await fam.preview(inlineTarget(), discover), ctx);
    world.endExperiment(String(h.data.fisExperimentId), 'completed');
    const [leftover, ...rest] = await family().listOwned(discover);
    expect(rest).toEqual([]);
    expect(leftover).toMatchObject({ handleId: ctx.handleId, faultType: 'fis-action', data: { templateId: h.data.templateId, inlineTemplate: true } });
    expect(leftover!.data.fisExperimentId).toBeUndefined(); // ended: only the template carries the tags still in
    await family().revert(leftover!, discover);
    expect(world.templates.size).toBe(0);
  });
});

describe('AWS answers', () => {
  it('throttling is retried by the SDK (the skeleton\'s Throttling and FIS\'s ThrottlingException 429)', async () => {
    const t = seedTemplate();
    const fam = family();
    standIn.throttleNext('fis', 1);
    const targets = await fam.preview(templateTarget(t.id), discover);
    world.failNext('StartExperiment', 'ThrottlingException', { n: 2 });
    const h = await fam.inject(experimentFault(), targets, runContext());
    expect(world.experiments.size).toBe(1);
    await fam.revert(h, discover);
  });

  it('errors of listOwned and revert are wrapped with code and request id', async () => {
    const fam = family();
    world.failNext('ListExperiments', 'AccessDeniedException', { message: 'User is not authorized to perform: fis:ListExperiments' });
    const err = await failure(fam.listOwned(discover));
    expect(err.code).toBe('adapter_error');
    expect(err.message).toMatch(/^could not list Faultline's FIS experiments in eu-west-1 \(AccessDeniedException, request id [0-9a-f-]{36}\): User is not authorized/);
    const t = seedTemplate();
    const h = await fam.inject(experimentFault(), await fam.preview(templateTarget(t.id), discover), runContext());
    world.failNext('StopExperiment', 'ValidationException', { message: 'bad request' });
    const r = await failure(fam.revert(h, discover));
    expect(r.code).toBe('revert_failed');
    expect(r.details).toMatchObject({ awsCode: 'ValidationException', handleId: h.handleId });
    await fam.revert(h, discover);
  });

  it('a handle with unreadable data: revert refuses, confirm says how to find it by hand', async () => {
    const fam = family();
    const bad = { handleId: 'fh-x', experimentId: 'e', adapter: 'aws', faultType: 'fis-experiment', targets: [] as ResolvedTarget[], appliedAt: 0, expiresAt: 0, data: {} } satisfies FaultHandle;
    expect((await failure(fam.revert(bad, discover))).code).toBe('revert_failed');
    const receipt = await fam.confirmReverted(bad, discover);
    expect(receipt.confirmed).toBe(false);
    expect(receipt.manualSteps[0]).toContain('aws fis list-experiments');
  });
});

describe('behind the aws driver (createFisFamily in its families)', () => {
  const driver = (config: Record<string, unknown> = {}) => {
    const d = createAwsDriver(AwsTargetConfig.parse({ accounts: ['123456789012'], region: REGION, pollInterval: '25ms', waitTimeout: '5s', ...config }), { log: quiet, now: Date.now }, {
      clientOverrides: { endpoint: standIn.url, credentials: TEST_CREDENTIALS },
      families: [createInstanceFaults, createFisFamily],
    });
    clients.push({ destroy: () => void d.close?.() });
    for (const f of d.families) if ('close' in f) families.push(f as unknown as { close(): void });
    return d;
  };

  it('a template target goes to the FIS family: preview, inject, listOwned from another driver, revert', async () => {
    const t = seedTemplate();
    const d = driver();
    const targets = await d.preview(templateTarget(t.id), discover);
    expect(targets.map((x) => x.id)).toEqual([`fis:${REGION}:${t.id}`]);
    expect(targets[0]!.attributes.account).toBe('123456789012');
    expect(d.describeTarget!(templateTarget(t.id), targets)).toEqual({ kind: 'fis-template', selection: `${t.id} in ${REGION}` });
    const ctx = runContext();
    const handle = await d.inject(experimentFault(), targets, ctx);
    expect(handle.faultType).toBe('fis-experiment');
    const owned = await driver().listOwned(discover);
    expect(owned.map((h) => h.handleId)).toEqual([ctx.handleId]);
    await driver().revert(owned[0]!, discover);
    expect(['stopping', 'stopped']).toContain(world.view(world.experiments.get(String(handle.data.fisExperimentId))!).status);
  });

  it('the allow-lists apply: a region or an account not listed is refused before anything starts', async () => {
    const t = seedTemplate();
    expect((await failure(driver().preview(fisTemplateTarget.parse({ adapter: 'aws', template: t.id, region: 'us-east-1' }) as unknown as TargetSpec, discover))).code).toBe('protected_target');
    const err = await failure(driver({ accounts: ['999999999999'] }).preview(templateTarget(t.id), discover));
    expect(err.code).toBe('protected_target');
    expect(err.message).toContain('account 123456789012');
    expect(world.experiments.size).toBe(0);
  });
});

describe('through the engine: a FIS experiment that ends by itself ends the run, said in the thread', () => {
  const engine = engineFactory();

  /** The harness's playbooks name the memory adapter; this driver answers for it with the real FIS family on one template. */
  function fisBehindMemory(fam: FisFaults, templateId: string): { target: MemoryTarget; driver: TargetDriver } {
    const target = new MemoryTarget(CANDIDATES);
    const spec = templateTarget(templateId);
    const driver: TargetDriver = {
      kind: target.kind,
      faultTypes: target.faultTypes,
      schemas: target.schemas,
      preview: (_t, ctx) => fam.preview(spec, ctx),
      describeTarget: (_t, resolved) => fam.describeTarget(spec, resolved),
      inject: (f, targets, ctx) => fam.inject({ ...experimentFault(), duration: f.duration }, targets, ctx),
      revert: (h, ctx) => fam.revert(h, ctx),
      listOwned: (ctx) => fam.listOwned(ctx),
      confirmReverted: (h, ctx) => fam.confirmReverted(h, ctx),
    };
    return { target, driver };
  }

  it('completed: the observation ends before its 30 s, the run reverts (nothing to stop) and completes', async () => {
    const t = seedTemplate({ runMs: 300 });
    const { target, driver } = fisBehindMemory(family(), t.id);
    const e = engine({ target, driver, playbooks: [{ duration: '30s' }] });
    const id = await e.launch();
    await e.waitForState(id, 'completed', 10_000);
    await e.engine.runner.settle();
    await e.engine.notifier.flush();
    const r = e.service.get(id).record;
    expect(r.abort).toBeNull();
    expect(r.endedAt!).toBeLessThan(r.endsAt!);
    expect(e.kinds(id)).toContain('fault-ended');
    const [exp] = [...world.experiments.values()];
    expect(e.chat.transcript()).toContain(`the fault ended by itself (completed): FIS experiment ${exp!.id} completed: Experiment completed.`);
    expect(service.operations).not.toContain('StopExperiment');
    await e.close();
  });

  it("stopped by the template's own stop condition: the run is aborted with code fault_ended", async () => {
    const t = seedTemplate();
    const { target, driver } = fisBehindMemory(family(), t.id);
    const e = engine({ target, driver, playbooks: [{ duration: '30s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing', 10_000);
    const [exp] = [...world.experiments.values()];
    world.endExperiment(exp!.id, 'stopped', 'Stop condition triggered: alarm web-5xx');
    await e.waitForState(id, 'aborted', 10_000);
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.abort).toMatchObject({ code: 'fault_ended' });
    expect(r.abort!.reason).toContain(`FIS experiment ${exp!.id} stopped: Stop condition triggered: alarm web-5xx`);
    await e.close();
  });
});
