/**
 * The dry run's permission check of the aws adapter (checkAccess), through the real SDK v3 clients
 * against the stand-in: the EC2 calls by DryRun (DryRunOperation is allowed, UnauthorizedOperation
 * denied), the calls of APIs without DryRun (Auto Scaling, FIS) as not checkable, and nothing changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_TAGS } from '../../src/adapters/targets/aws/fault-family.js';
import type { ResolvedTarget } from '../../src/core/ports.js';
import { awsBench, fault, injectContext, target, type AwsBench } from './aws-support.js';

let b: AwsBench;
beforeEach(async () => {
  b = await awsBench();
});
afterEach(async () => {
  await b.close();
});

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function seed() {
  const w = b.aws.world;
  const one = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
  const two = w.addInstance({ zone: 'eu-west-1a', tags: { app: 'web' } });
  w.addAsg({ name: 'web-asg', instanceIds: [one.id, two.id] });
  return { one, two, ids: [one.id, two.id].sort() };
}

async function targets(zone?: string): Promise<ResolvedTarget[]> {
  return b.driver().preview(target({ selector: { app: 'web' }, ...(zone ? { zone } : {}) }), { log: quiet });
}

describe('aws checkAccess: instances', () => {
  it('ec2-stop: every EC2 call of inject and revert asked by DryRun and allowed; nothing changes', async () => {
    const { ids } = seed();
    const found = await targets();
    const changes = b.aws.world.changes.length;
    const checks = await b.driver().checkAccess!(fault({ type: 'ec2-stop' }), found, { log: quiet });
    const on = `on ${ids.join(', ')} (eu-west-1)`;
    expect(checks).toEqual([
      { what: `ec2:CreateTags ${on}`, allowed: true },
      { what: `ec2:StopInstances ${on}`, allowed: true },
      { what: `ec2:StartInstances ${on}`, allowed: true },
      { what: `ec2:DeleteTags ${on}`, allowed: true },
    ]);
    for (const action of ['CreateTags', 'StopInstances', 'StartInstances', 'DeleteTags']) {
      expect(b.aws.standIn.callsTo('ec2', action).map((c) => c.status), action).toEqual([412]);
    }
    expect(b.aws.world.changes.length).toBe(changes);
    for (const id of ids) {
      expect(b.aws.world.instances.get(id)?.state).toBe('running');
      expect(b.aws.world.instances.get(id)?.tags[AWS_TAGS.handle]).toBeUndefined();
    }
  });

  it('a denied EC2 call is denied with its UnauthorizedOperation; the others stay allowed', async () => {
    seed();
    b.aws.world.deny('ec2:StopInstances');
    const checks = await b.driver().checkAccess!(fault({ type: 'ec2-stop' }), await targets(), { log: quiet });
    const stop = checks.find((c) => c.what.startsWith('ec2:StopInstances'))!;
    expect(stop.allowed).toBe(false);
    expect(stop.reason).toMatch(/^UnauthorizedOperation: You are not authorized to perform this operation\..*\(request id [^,]+, HTTP 403\)$/);
    expect(checks.filter((c) => c !== stop).map((c) => c.allowed)).toEqual([true, true, true]);
  });

  it('StartInstances and DeleteTags conditioned on faultline:handle are not checkable before the tags, not denied', async () => {
    seed();
    b.aws.world.denyUntagged(AWS_TAGS.handle, 'ec2:StartInstances', 'ec2:DeleteTags');
    const checks = await b.driver().checkAccess!(fault({ type: 'ec2-stop' }), await targets(), { log: quiet });
    expect(checks.map((c) => [c.what.split(' ')[0], c.allowed])).toEqual([
      ['ec2:CreateTags', true],
      ['ec2:StopInstances', true],
      ['ec2:StartInstances', null],
      ['ec2:DeleteTags', null],
    ]);
    expect(checks[2]?.reason).toContain(`the policy may allow it only on instances tagged ${AWS_TAGS.handle}`);
    expect(checks[2]?.reason).toContain('UnauthorizedOperation');
    // And the inject, which checks them again once its tags are on, goes ahead.
    const found = await targets();
    await b.driver().inject(fault({ type: 'ec2-stop' }), found, injectContext(b.log));
    expect(b.aws.standIn.callsTo('ec2', 'StopInstances').at(-1)?.status).toBe(200);
  });

  it('zone-outage: the Auto Scaling calls are listed as not checkable (no DryRun), never as allowed', async () => {
    const { ids } = seed();
    const checks = await b.driver().checkAccess!(fault({ type: 'zone-outage' }), await targets('eu-west-1a'), { log: quiet });
    expect(checks.slice(0, 4).map((c) => c.allowed)).toEqual([true, true, true, true]);
    expect(checks.slice(4)).toEqual(
      ['CreateOrUpdateTags', 'SuspendProcesses', 'ResumeProcesses', 'DeleteTags'].map((a) => ({
        what: `autoscaling:${a} on Auto Scaling group web-asg (eu-west-1)`,
        allowed: null,
        reason: expect.stringContaining('Auto Scaling has no DryRun'),
      })),
    );
    expect(checks[0]?.what).toContain(ids[0]);
    expect(b.aws.standIn.callsTo('autoscaling', 'SuspendProcesses')).toEqual([]);
  });

  it('an EC2 error that is not about permission leaves the call not checkable, with the error', async () => {
    const { one } = seed();
    const found = await targets();
    b.aws.world.instances.delete(one.id);
    const checks = await b.driver().checkAccess!(fault({ type: 'ec2-stop' }), found, { log: quiet });
    const stop = checks.find((c) => c.what.startsWith('ec2:StopInstances'))!;
    expect(stop).toMatchObject({ allowed: null, reason: expect.stringContaining('InvalidInstanceID.NotFound') });
  });
});

describe('aws checkAccess: FIS', () => {
  it('fis-experiment and fis-action: FIS has no DryRun, so every call is not checkable', async () => {
    const t = b.aws.fis.addTemplate({
      description: 'web tier',
      targets: { web: { resourceType: 'aws:ec2:instance', resourceTags: { app: 'web' }, selectionMode: 'ALL' } },
      actions: { stop: { actionId: 'aws:ec2:stop-instances', parameters: {}, targets: { Instances: 'web' } } },
      tags: { team: 'web' },
    });
    const d = b.driver();
    const found = await d.preview(target({ template: t.id }), { log: quiet });
    const checks = await d.checkAccess!(fault({ type: 'fis-experiment' }), found, { log: quiet });
    expect(checks.map((c) => c.what)).toEqual([`fis:StartExperiment of ${t.id} (eu-west-1)`, 'fis:TagResource (eu-west-1)', 'fis:StopExperiment (eu-west-1)']);
    expect(checks.every((c) => c.allowed === null && c.reason?.includes('FIS has no DryRun'))).toBe(true);
    expect(b.aws.standIn.callsTo('fis', 'StartExperiment')).toEqual([]);
  });
});
