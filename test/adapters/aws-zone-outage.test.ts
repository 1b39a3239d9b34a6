/**
 * zone-outage through the real SDK clients against the stand-in: one zone only, the groups that hold
 * the instances told not to heal (only what was not suspended already), and exactly that resumed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import { TAG_SUSPENDED } from '../../src/adapters/targets/aws/tags.js';
import { awsBench, fault, injectContext, target, type AwsBench } from './aws-support.js';

let b: AwsBench;
beforeEach(async () => {
  b = await awsBench();
});
afterEach(async () => {
  await b.close();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function webTier(b: AwsBench) {
  const w = b.aws.world;
  const a1 = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-a1' } });
  const a2 = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-a2' } });
  const b1 = w.addInstance({ zone: 'eu-west-1b', tags: { app: 'web', Name: 'web-b1' } });
  const web = w.addAsg({ name: 'web-asg', instanceIds: [a1.id, a2.id, b1.id] });
  const lone = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: 'web-lone' } });
  return { a1, a2, b1, lone, web };
}

describe('zone-outage', () => {
  it('the card says what each group is told; inject suspends only what was not suspended, and revert resumes only that', async () => {
    const { a1, a2, b1, lone, web } = webTier(b);
    web.suspended.push('ReplaceUnhealthy'); // someone else's, before the experiment
    b.aws.world.transitionMs = 50;
    const d = b.driver();
    const f = fault({ type: 'zone-outage' });
    const targets = await d.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' }), { log: quiet });
    expect(targets.map((t) => t.name).sort()).toEqual(['web-a1', 'web-a2', 'web-lone']);
    expect(await d.impact!(f, targets, { log: quiet })).toEqual(['ASG web-asg: AZRebalance, Launch suspended during the fault (ReplaceUnhealthy already suspended; left as they are)']);

    const handle = await d.inject(f, targets, injectContext(b.log));
    expect(handle.data).toMatchObject({ region: 'eu-west-1', instances: [a1.id, a2.id, lone.id].sort(), asgs: [{ name: 'web-asg', suspended: ['AZRebalance', 'Launch'] }] });
    expect(web.suspended.sort()).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    expect(web.tags).toMatchObject({ [AWS_TAGS.handle]: 'h-1', [AWS_TAGS.experiment]: 'exp-1', [AWS_TAGS.fault]: 'zone-outage', [TAG_SUSPENDED]: 'AZRebalance,Launch' });
    expect(web.propagateAtLaunch[AWS_TAGS.handle]).toBe(false);
    const order = b.aws.world.changes.map((c) => c.action);
    // The group is marked before it is suspended, the instances before they are stopped, and the group holds before anything stops.
    expect(order.indexOf('autoscaling:CreateOrUpdateTags')).toBeLessThan(order.indexOf('autoscaling:SuspendProcesses'));
    expect(order.indexOf('autoscaling:SuspendProcesses')).toBeLessThan(order.indexOf('ec2:StopInstances'));
    expect(b.aws.world.instances.get(b1.id)!.state).toBe('running');

    await d.revert(handle, { log: quiet });
    for (const i of [a1, a2, lone]) expect(b.aws.world.instances.get(i.id)!.state).toBe('running');
    expect(web.suspended).toEqual(['ReplaceUnhealthy']);
    expect(Object.keys(web.tags).filter((k) => k.startsWith('faultline:'))).toEqual([]);
    const resumed = b.aws.world.changes.filter((c) => c.action === 'autoscaling:ResumeProcesses');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.detail).toMatchObject({ processes: ['AZRebalance', 'Launch'] });
    // Instances run again before the group may heal.
    const after = b.aws.world.changes.map((c) => c.action);
    expect(after.lastIndexOf('ec2:StartInstances')).toBeLessThan(after.indexOf('autoscaling:ResumeProcesses'));
    expect(await d.confirmReverted(handle, { log: quiet })).toMatchObject({ confirmed: true });
    const before = b.aws.world.changes.length;
    await d.revert(handle, { log: quiet });
    expect(b.aws.world.changes.slice(before)).toEqual([]);
  });

  it('a group with all three processes suspended already is left alone, and nothing is resumed', async () => {
    const { web } = webTier(b);
    web.suspended.push('AZRebalance', 'Launch', 'ReplaceUnhealthy');
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' }), { log: quiet });
    const handle = await d.inject(fault({ type: 'zone-outage' }), targets, injectContext(b.log));
    expect(handle.data.asgs).toEqual([]);
    expect(Object.keys(web.tags)).toEqual([]);
    await d.revert(handle, { log: quiet });
    expect(web.suspended).toEqual(['AZRebalance', 'Launch', 'ReplaceUnhealthy']);
    expect(b.aws.world.changes.filter((c) => c.action.startsWith('autoscaling:'))).toEqual([]);
  });

  it('targets in more than one zone are refused before anything changes (the target must name its zone)', async () => {
    webTier(b);
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' }, blastRadius: 'all' }), { log: quiet });
    const f = fault({ type: 'zone-outage' });
    await expect(d.impact!(f, targets, { log: quiet })).rejects.toMatchObject({ message: expect.stringContaining('name it in target.zone') });
    await expect(d.inject(f, targets, injectContext(b.log))).rejects.toMatchObject({ code: 'inject_failed', message: expect.stringContaining('target.zone') });
    expect(b.aws.world.changes).toEqual([]);
  });

  it('a group another fault holds is refused as target_busy, nothing changed', async () => {
    const { web } = webTier(b);
    web.tags[AWS_TAGS.handle] = 'h-other';
    const d = b.driver();
    const targets = await d.preview(target({ selector: { app: 'web' }, zone: 'eu-west-1a', blastRadius: 'all' }), { log: quiet });
    await expect(d.inject(fault({ type: 'zone-outage' }), targets, injectContext(b.log))).rejects.toMatchObject({ code: 'target_busy', message: expect.stringContaining('h-other') });
    expect(b.aws.world.changes).toEqual([]);
  });
});
