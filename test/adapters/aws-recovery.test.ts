/**
 * Recovery with nothing but AWS: listOwned, revert and confirmReverted by a driver that never saw the
 * inject (another process), the janitor reverting an expired fault from its tags, and the CLI's AWS
 * pass pointed at the stand-in only through the SDK's own environment variables.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { runAwsJanitor } from '../../src/adapters/targets/aws/janitor.js';
import { TAG_APPLIED_AT, TAG_SUSPENDED } from '../../src/adapters/targets/aws/tags.js';
import type { JanitorLine } from '../../src/adapters/targets/kubernetes/janitor.js';
import { TEST_CREDENTIALS } from '../fakes/aws/index.js';
import { awsBench, fault, injectContext, target, type AwsBench } from './aws-support.js';

let b: AwsBench;
beforeEach(async () => {
  b = await awsBench();
});
afterEach(async () => {
  await b.close();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** What a bot that died mid-fault leaves in AWS: a zone outage, tagged, the group held, the instances stopped. */
function leftBehind(b: AwsBench, expiresAt: number, handleId = 'h-dead') {
  const w = b.aws.world;
  const marks = {
    [AWS_TAGS.experiment]: 'exp-dead',
    [AWS_TAGS.handle]: handleId,
    [AWS_TAGS.expiresAt]: new Date(expiresAt).toISOString(),
    [AWS_TAGS.fault]: 'zone-outage',
    [TAG_APPLIED_AT]: new Date(expiresAt - 60_000).toISOString(),
  };
  const i1 = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', ...marks }, state: 'stopped' });
  const i2 = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', ...marks }, state: 'stopped' });
  const other = w.addInstance({ zone: 'eu-west-1b', tags: { app: 'web' } });
  const asg = w.addAsg({ name: 'web-asg', instanceIds: [i1.id, i2.id, other.id], tags: { ...marks, [TAG_SUSPENDED]: 'AZRebalance,Launch' } });
  asg.suspended.push('ReplaceUnhealthy', 'AZRebalance', 'Launch'); // ReplaceUnhealthy was someone else's
  return { i1, i2, other, asg };
}

describe('from the tags alone', () => {
  it('another driver lists what the first injected, reverts it and reads it back', async () => {
    const w = b.aws.world;
    const a = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const c = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    w.addAsg({ name: 'web-asg', instanceIds: [a.id, c.id] });
    const first = b.driver();
    const ctx = injectContext(b.log, { handleId: 'h-7', experimentId: 'exp-7' });
    const handle = await first.inject(fault({ type: 'zone-outage' }), await first.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' }), { log: quiet }), ctx);

    const second = b.driver();
    const owned = await second.listOwned({ log: quiet });
    expect(owned).toHaveLength(1);
    expect(owned[0]).toMatchObject({
      handleId: 'h-7',
      experimentId: 'exp-7',
      adapter: 'aws',
      faultType: 'zone-outage',
      expiresAt: ctx.expiresAt,
      data: { region: 'eu-west-1', instances: [a.id, c.id].sort(), asgs: [{ name: 'web-asg', suspended: ['AZRebalance', 'Launch', 'ReplaceUnhealthy'] }], rebuilt: true },
    });
    expect(owned[0]!.targets.map((t) => t.id)).toEqual(handle.targets.map((t) => t.id));
    const receipt = await second.confirmReverted(owned[0]!, { log: quiet });
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`instance ${a.id} is (stopping|stopped), expected running`)), 'Auto Scaling group web-asg: AZRebalance, Launch, ReplaceUnhealthy still suspended']));
    expect(receipt.manualSteps).toEqual(
      expect.arrayContaining([
        `aws ec2 start-instances --region eu-west-1 --instance-ids ${[a.id, c.id].sort().join(' ')}`,
        'aws autoscaling resume-processes --region eu-west-1 --auto-scaling-group-name web-asg --scaling-processes AZRebalance Launch ReplaceUnhealthy',
      ]),
    );

    await second.revert(owned[0]!, { log: quiet });
    expect(await second.listOwned({ log: quiet })).toEqual([]);
    expect(await second.confirmReverted(owned[0]!, { log: quiet })).toEqual({ confirmed: true, differences: [], manualSteps: [] });
    expect(await first.confirmReverted(handle, { log: quiet })).toMatchObject({ confirmed: true });
    expect(w.asgs.get('web-asg')!.suspended).toEqual([]);
  });

  it('a crash after the marks but before the stop: the instances are only unmarked, the groups resumed', async () => {
    const { i1, asg } = leftBehind(b, Date.now() + 60_000);
    b.aws.world.instances.get(i1.id)!.state = 'running';
    const d = b.driver();
    const [handle] = await d.listOwned({ log: quiet });
    await d.revert(handle!, { log: quiet });
    expect(b.aws.world.changes.filter((c) => c.action === 'ec2:StartInstances').flatMap((c) => c.ids)).not.toContain(i1.id);
    expect(asg.suspended).toEqual(['ReplaceUnhealthy']);
    expect(await d.confirmReverted(handle!, { log: quiet })).toMatchObject({ confirmed: true });
  });
});

describe('the janitor (AWS pass)', () => {
  it('reverts an expired fault from its tags, keeps one that has not expired, and says both', async () => {
    const { i1, i2, other, asg } = leftBehind(b, Date.now() - 120_000);
    const fresh = b.aws.world.addInstance({ zone: 'eu-west-1c', tags: { app: 'api', [AWS_TAGS.experiment]: 'exp-live', [AWS_TAGS.handle]: 'h-live', [AWS_TAGS.fault]: 'ec2-stop', [AWS_TAGS.expiresAt]: new Date(Date.now() + 600_000).toISOString() }, state: 'stopped' });
    const lines: JanitorLine[] = [];
    const dry = await runAwsJanitor(b.driver(), { graceMs: 30_000, dryRun: true, now: Date.now }, (l) => lines.push(l));
    expect(dry).toMatchObject({ handles: 2, expired: 1, kept: 1, ok: true });
    expect(b.aws.world.changes).toEqual([]);

    lines.length = 0;
    const summary = await runAwsJanitor(b.driver(), { graceMs: 30_000, dryRun: false, now: Date.now }, (l) => lines.push(l));
    expect(summary).toMatchObject({ handles: 2, expired: 1, confirmed: 1, kept: 1, failed: 0, ok: true });
    expect(lines.map((l) => [l.action, l.handleId])).toEqual([
      ['reverted', 'h-dead'],
      ['confirmed', 'h-dead'],
      ['kept', 'h-live'],
      ['summary', undefined],
    ]);
    for (const i of [i1, i2, other]) expect(b.aws.world.instances.get(i.id)!.state).toBe('running');
    expect(asg.suspended).toEqual(['ReplaceUnhealthy']);
    expect(Object.keys(asg.tags)).toEqual([]);
    expect(b.aws.world.instances.get(fresh.id)!.state).toBe('stopped');
  });

  it('a fault without a readable expiry is never touched', async () => {
    const { i1 } = leftBehind(b, Date.now() - 120_000);
    for (const i of b.aws.world.instances.values()) if (i.tags[AWS_TAGS.expiresAt]) i.tags[AWS_TAGS.expiresAt] = 'soon';
    b.aws.world.asgs.get('web-asg')!.tags[AWS_TAGS.expiresAt] = 'soon';
    const lines: JanitorLine[] = [];
    const summary = await runAwsJanitor(b.driver(), { graceMs: 0, dryRun: false, now: Date.now }, (l) => lines.push(l));
    expect(summary).toMatchObject({ handles: 1, expired: 0, skippedObjects: 1 });
    expect(lines[0]).toMatchObject({ action: 'skipped', message: expect.stringContaining('no readable faultline:expires-at') });
    expect(b.aws.world.instances.get(i1.id)!.state).toBe('stopped');
  });

  it('`faultline janitor --aws --no-kubernetes` finds the stand-in through AWS_ENDPOINT_URL alone and reverts', async () => {
    const { i1, asg } = leftBehind(b, Date.now() - 120_000);
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL: b.aws.standIn.url, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
    for (const k of ['FAULTLINE_CONFIG', 'KUBECONFIG', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_AUTO_SCALING', 'AWS_SESSION_TOKEN']) delete env[k];
    const child = spawn(process.execPath, [path.join(ROOT, 'src/app/faultline.mjs'), 'janitor', '--aws', '--no-kubernetes', '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, err: err.split('\n').filter((l) => l.startsWith('faultline:')) }).toEqual({ code: 0, err: [] });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as JanitorLine);
    expect(lines.map((l) => l.action)).toEqual(['reverted', 'confirmed', 'summary']);
    expect(b.aws.world.instances.get(i1.id)!.state).toBe('running');
    expect(asg.suspended).toEqual(['ReplaceUnhealthy']);
    expect(new Set(b.aws.standIn.calls.map((c) => c.accessKeyId))).toEqual(new Set([TEST_CREDENTIALS.accessKeyId]));
  });
});
