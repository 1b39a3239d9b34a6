/**
 * The aws adapter's instances family (ec2-stop, zone-outage) through the real SDK v3 clients against
 * the EC2 and Auto Scaling stand-in: preview, the permission check, inject, revert, read-back.
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

describe('preview', () => {
  it('lists the running instances the tags (and zone) match, with id, Name, zone, type and ASG', async () => {
    const w = b.aws.world;
    const a = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-a' }, type: 'm5.large' });
    const c = w.addInstance({ zone: 'eu-west-1b', tags: { app: 'web' } });
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'api' } });
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' }, state: 'stopped' });
    w.addAsg({ name: 'web-asg', instanceIds: [a.id] });
    const d = b.driver();
    const all = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    expect(all.map((t) => t.id)).toEqual([`ec2:eu-west-1:${a.id}`, `ec2:eu-west-1:${c.id}`].sort());
    const first = all.find((t) => t.id.endsWith(a.id))!;
    expect(first).toMatchObject({
      name: 'web-a',
      kind: 'instance',
      attributes: { zone: 'eu-west-1a', type: 'm5.large', asg: 'web-asg', account: '123456789012', region: 'eu-west-1', Name: 'web-a', app: 'web' },
      within: ['asg:eu-west-1:web-asg', 'zone:eu-west-1a'],
    });
    expect(all.find((t) => t.id.endsWith(c.id))!.name).toBe(c.id);
    const zoned = await d.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a' }), { log: quiet });
    expect(zoned.map((t) => t.attributes.instanceId)).toEqual([a.id]);
    expect(d.describeTarget!(target({ selector: { app: 'web' }, zone: 'eu-west-1a' }), zoned)).toEqual({ kind: 'instance', selection: 'region=eu-west-1,zone=eu-west-1a,app=web' });
  });

  it(`never returns instances tagged ${AWS_TAGS.protected}=true; all of them protected is protected_target`, async () => {
    const w = b.aws.world;
    const open = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'db' } });
    const guarded = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'db', [AWS_TAGS.protected]: 'true' } });
    const d = b.driver();
    const found = await d.preview(target({ selector: { app: 'db' } }), { log: quiet });
    expect(found.map((t) => t.attributes.instanceId)).toEqual([open.id]);
    expect(JSON.stringify(found)).not.toContain(guarded.id);
    w.instances.get(open.id)!.tags[AWS_TAGS.protected] = 'TRUE';
    await expect(d.preview(target({ selector: { app: 'db' } }), { log: quiet })).rejects.toMatchObject({ code: 'protected_target', message: expect.stringContaining(guarded.id) });
  });

  it('reads every page: 2,500 instances come back in three pages of DescribeInstances', async () => {
    for (let i = 0; i < 2_500; i++) b.aws.world.addInstance({ zone: i % 2 ? 'eu-west-1a' : 'eu-west-1b', tags: { app: 'fleet' } });
    const found = await b.driver().preview(target({ selector: { app: 'fleet' } }), { log: quiet });
    expect(found).toHaveLength(2_500);
    expect(new Set(found.map((t) => t.id)).size).toBe(2_500);
    expect(b.aws.standIn.callsTo('ec2', 'DescribeInstances')).toHaveLength(3);
  });
});

describe('what the card measures and says', () => {
  it("a zone's instances are measured against the selector's instances in every zone (population)", async () => {
    const w = b.aws.world;
    for (const zone of ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']) w.addInstance({ zone, tags: { app: 'web' } });
    w.addInstance({ zone: 'eu-west-1b', tags: { app: 'web', [AWS_TAGS.protected]: 'true' } });
    const d = b.driver();
    expect(await d.population!(target({ selector: { app: 'web' }, zone: 'eu-west-1a' }), { log: quiet })).toBe(3);
    expect(await d.population!(target({ selector: { app: 'web' } }), { log: quiet })).toBeUndefined();
  });

  it('ec2-stop warns about the groups that may replace a stopped instance', async () => {
    const w = b.aws.world;
    const a = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    w.addAsg({ name: 'web-asg', instanceIds: [a.id] });
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' }, blastRadius: 'all' }), { log: quiet });
    expect(await d.impact!(fault({ type: 'ec2-stop' }), targets, { log: quiet })).toEqual([
      `ASG web-asg holds ${a.id}: while stopped they may fail its health checks and be replaced (terminated); zone-outage suspends the group's healing`,
    ]);
  });
});

describe('ec2-stop', () => {
  it('tags, then stops; revert starts, waits for running, removes the tags; a second revert does nothing', async () => {
    const w = b.aws.world;
    w.transitionMs = 60;
    const i = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    const ctx = injectContext(b.log);
    const handle = await d.inject(fault({ type: 'ec2-stop' }), targets, ctx);
    expect(handle).toMatchObject({ adapter: 'aws', faultType: 'ec2-stop', data: { region: 'eu-west-1', instances: [i.id], asgs: [] } });
    expect(ctx.notes[0]).toMatchObject({ kind: 'aws-instances', data: { instances: [i.id] } });
    const changes = w.changes.map((c) => c.action);
    expect(changes.indexOf('ec2:CreateTags')).toBeLessThan(changes.indexOf('ec2:StopInstances'));
    expect(w.instances.get(i.id)!.tags).toMatchObject({
      [AWS_TAGS.experiment]: 'exp-1',
      [AWS_TAGS.handle]: 'h-1',
      [AWS_TAGS.fault]: 'ec2-stop',
      [AWS_TAGS.expiresAt]: new Date(ctx.expiresAt).toISOString(),
    });
    expect(['stopping', 'stopped']).toContain(w.instances.get(i.id)!.state);

    await d.revert(handle, { log: quiet });
    expect(w.instances.get(i.id)!.state).toBe('running');
    expect(Object.keys(w.instances.get(i.id)!.tags).filter((k) => k.startsWith('faultline:'))).toEqual([]);
    expect(await d.confirmReverted(handle, { log: quiet })).toEqual({ confirmed: true, differences: [], manualSteps: [] });

    const before = w.changes.length;
    await d.revert(handle, { log: quiet });
    expect(w.changes.slice(before)).toEqual([]);
  });

  it('hibernate: StopInstances with Hibernate', async () => {
    const i = b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' }, hibernation: true });
    const d = b.driver();
    const handle = await d.inject(fault({ type: 'ec2-stop', parameters: { hibernate: true } }), await d.preview(target({ selector: { app: 'web' } }), { log: quiet }), injectContext(b.log));
    expect(b.aws.world.changes.find((c) => c.action === 'ec2:StopInstances')).toMatchObject({ ids: [i.id], detail: { hibernate: true } });
    expect(handle.data.hibernate).toBe(true);
    await d.revert(handle, { log: quiet });
  });

  it('revert waits for running no longer than waitTimeout (revert_failed), and an abort ends the wait at once', async () => {
    const w = b.aws.world;
    w.transitionMs = 60_000;
    w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const d = b.driver({ waitTimeout: '300ms' });
    const handle = await d.inject(fault({ type: 'ec2-stop' }), await d.preview(target({ selector: { app: 'web' } }), { log: quiet }), injectContext(b.log));
    // Still stopping after the wait: nothing can be started yet.
    await expect(d.revert(handle, { log: quiet })).rejects.toMatchObject({ code: 'revert_failed', message: expect.stringContaining('still stopping after') });
    const slow = b.driver({ waitTimeout: '1m' });
    const abort = new AbortController();
    const reverting = slow.revert(handle, { log: quiet, signal: abort.signal });
    setTimeout(() => abort.abort(), 100);
    // Ended by the abort, not by the minute's wait running out (that would say "still stopping after 60s").
    await expect(reverting).rejects.toMatchObject({ code: 'revert_failed', message: expect.not.stringContaining('still stopping after') });
    expect([...w.instances.values()][0]!.state).toBe('stopping');
    // The tags stay, so the next revert (or the janitor) finds it.
    expect(await slow.listOwned({ log: quiet })).toHaveLength(1);
  });

  it('an inject retried with the same handle changes nothing more', async () => {
    b.aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' } }), { log: quiet });
    await d.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log));
    const before = b.aws.world.changes.length;
    await d.inject(fault({ type: 'ec2-stop' }), targets, injectContext(b.log));
    expect(b.aws.world.changes.slice(before)).toEqual([]);
  });
});
