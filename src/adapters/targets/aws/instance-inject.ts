/**
 * Inject of ec2-stop and zone-outage. Everything is read and checked first (instances still running,
 * not protected, not another fault's, in an allowed account; one zone for a zone outage). Then the
 * permission check (DryRun), then the changes, each marked before it is made: groups tagged (with
 * the processes about to be suspended) before SuspendProcesses, instances tagged before StopInstances,
 * so a crash at any point leaves tags that listOwned and the janitor find and revert.
 */
import { CreateOrUpdateTagsCommand, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling';
import { CreateTagsCommand, DeleteTagsCommand, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { FaultlineError } from '../../../core/errors.js';
import type { ResolvedTarget, TargetContext } from '../../../core/ports.js';
import { checkAccount, checkAnyAccount, checkRegion } from './allow-list.js';
import { awsError, awsErrorCode, describeAwsError, isPermissionError } from './aws-errors.js';
import { AWS_TAGS } from './fault-family.js';
import { ZONE_OUTAGE_PROCESSES, type AsgChange, type InstanceFamilyDeps, type InstanceHandleData } from './instance-handle.js';
import { revertInstanceFault } from './instance-revert.js';
import { describeGroups, describeInstances, groupsOf, parseInstanceTargetId } from './instances.js';
import type { InstanceFaultType } from './schema-instances.js';
import { isProtected, ownerTags, suspendedOf, suspendedText, tagMap, TAG_SUSPENDED } from './tags.js';

export interface InstanceRun {
  faultType: InstanceFaultType;
  hibernate: boolean;
  targets: ResolvedTarget[];
  ctx: TargetContext;
}

/** The region and instance ids of the targets; they must all be instances of one region. */
export function instancesOf(targets: readonly ResolvedTarget[], faultType: string): { region: string; ids: string[] } {
  const refs = targets.map((t) => {
    const ref = parseInstanceTargetId(t.id);
    if (!ref) throw new FaultlineError('inject_failed', `${faultType} works on EC2 instances, but ${t.id} is not one`, { target: t.id });
    return ref;
  });
  const regions = [...new Set(refs.map((r) => r.region))];
  if (regions.length !== 1) throw new FaultlineError('inject_failed', `${faultType} works in one region at a time; the targets are in ${regions.join(', ')}`);
  return { region: regions[0]!, ids: refs.map((r) => r.instanceId) };
}

/** The one zone of a zone outage's targets, or a refusal naming what to fix. */
export function outageZone(targets: readonly ResolvedTarget[]): string {
  const zones = [...new Set(targets.map((t) => t.attributes.zone ?? ''))];
  if (zones.length !== 1 || !zones[0]) {
    throw new FaultlineError('inject_failed', `zone-outage takes out one availability zone: name it in target.zone (these targets are in ${zones.filter(Boolean).join(', ') || 'no known zone'})`);
  }
  return zones[0];
}

/** What the DryRun of one call says: allowed, or the IAM action it lacks. */
async function dryRun(action: string, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (awsErrorCode(err) === 'DryRunOperation') return;
    if (isPermissionError(err)) {
      throw new FaultlineError('inject_failed', `missing permission ${action}: the role may not do it, so nothing was stopped (${describeAwsError(err)})`, {
        missingAction: action,
      });
    }
    throw awsError(`the permission check (DryRun) of ${action} failed`, err, 'inject_failed');
  }
  // An endpoint that performs a DryRun call is not AWS: refuse rather than go on.
  throw new FaultlineError('inject_failed', `${action} with DryRun was not refused with DryRunOperation; refusing to go on (is the endpoint really EC2?)`);
}

export async function injectInstanceFault(run: InstanceRun, deps: InstanceFamilyDeps): Promise<InstanceHandleData> {
  const { ctx, faultType } = run;
  const { region, ids } = instancesOf(run.targets, faultType);
  checkAnyAccount(deps.config);
  checkRegion(region, await deps.clients.allowedRegions(), deps.config);
  const ec2 = deps.clients.ec2(region);
  const asg = deps.clients.autoScaling(region);
  const signal = ctx.signal;
  const zone = faultType === 'zone-outage' ? outageZone(run.targets) : undefined;

  // Read and check everything before changing anything.
  const found = await describeInstances(ec2, { ids }, signal).catch((err: unknown) => {
    throw awsError('could not read the instances', err, 'inject_failed');
  });
  const byId = new Map(found.map((i) => [i.id, i]));
  const fresh: string[] = [];
  for (const id of ids) {
    const i = byId.get(id);
    if (!i) throw new FaultlineError('inject_failed', `instance ${id} is gone`, { instance: id });
    checkAccount(i.account, deps.config);
    if (isProtected(i.tags)) throw new FaultlineError('protected_target', `instance ${id} is tagged ${AWS_TAGS.protected}=true now; nothing was stopped`, { instance: id });
    const handle = i.tags[AWS_TAGS.handle];
    if (handle === ctx.handleId) continue; // a retry of this inject: already marked (and maybe stopped)
    if (handle !== undefined) throw new FaultlineError('target_busy', `instance ${id} is already in fault ${handle} (${i.tags[AWS_TAGS.experiment] ?? 'unknown experiment'})`, { instance: id });
    if (i.state !== 'running') throw new FaultlineError('inject_failed', `instance ${id} is ${i.state}, not running; nothing was stopped`, { instance: id });
    if (zone !== undefined && i.zone !== zone) throw new FaultlineError('inject_failed', `instance ${id} is in ${i.zone}, not ${zone}`, { instance: id });
    fresh.push(id);
  }

  const asgs: AsgChange[] = [];
  if (faultType === 'zone-outage') {
    const read = async () => {
      const holders = await groupsOf(asg, ids, signal);
      return { holders, groups: await describeGroups(asg, [...holders.values()], signal) };
    };
    const { groups } = await read().catch((err: unknown) => {
      throw awsError('could not read the Auto Scaling groups', err, 'inject_failed');
    });
    for (const [name, g] of groups) {
      const tags = tagMap(g.Tags);
      const handle = tags[AWS_TAGS.handle];
      if (handle !== undefined && handle !== ctx.handleId) throw new FaultlineError('target_busy', `Auto Scaling group ${name} is already held by fault ${handle}`, { asg: name });
      if (handle === ctx.handleId) {
        // A retry: the group's tag says what this handle suspended.
        const mine = suspendedOf(tags[TAG_SUSPENDED]);
        if (mine.length > 0) asgs.push({ name, suspended: mine });
        continue;
      }
      const already = new Set((g.SuspendedProcesses ?? []).map((p) => p.ProcessName));
      const suspend = ZONE_OUTAGE_PROCESSES.filter((p) => !already.has(p));
      // All suspended already (by someone else): nothing of ours to record or to resume.
      if (suspend.length > 0) asgs.push({ name, suspended: suspend });
    }
  }
  const data: InstanceHandleData = { region, instances: ids, asgs, hibernate: run.hibernate };
  ctx.note('aws-instances', { region, instances: ids, stopping: fresh, asgs, hibernate: run.hibernate });

  // The permission check, before anything changes.
  const tags = ownerTags(ctx, faultType);
  if (fresh.length > 0) {
    await dryRun('ec2:CreateTags', () => ec2.send(new CreateTagsCommand({ DryRun: true, Resources: fresh, Tags: tags }), { abortSignal: signal }));
    await dryRun('ec2:StopInstances', () => ec2.send(new StopInstancesCommand({ DryRun: true, InstanceIds: fresh, Hibernate: run.hibernate }), { abortSignal: signal }));
  }

  const applied: InstanceHandleData = { region, instances: [], asgs: [] };
  try {
    for (const change of asgs) {
      if (change.suspended.length === 0) continue;
      await asg.send(
        new CreateOrUpdateTagsCommand({
          Tags: [...tags, { Key: TAG_SUSPENDED, Value: suspendedText(change.suspended) }].map((t) => ({
            ResourceId: change.name,
            ResourceType: 'auto-scaling-group',
            Key: t.Key,
            Value: t.Value,
            PropagateAtLaunch: false,
          })),
        }),
        { abortSignal: signal },
      );
      applied.asgs.push(change);
      await asg.send(new SuspendProcessesCommand({ AutoScalingGroupName: change.name, ScalingProcesses: change.suspended }), { abortSignal: signal });
      ctx.log.info({ handleId: ctx.handleId, asg: change.name, suspended: change.suspended }, 'auto scaling processes suspended');
    }
    if (fresh.length > 0) {
      await ec2.send(new CreateTagsCommand({ Resources: fresh, Tags: tags }), { abortSignal: signal });
      applied.instances.push(...fresh);
      // Start and DeleteTags may be conditioned on our tags, so their check comes once the tags are on.
      await dryRun('ec2:StartInstances', () => ec2.send(new StartInstancesCommand({ DryRun: true, InstanceIds: fresh }), { abortSignal: signal }));
      await dryRun('ec2:DeleteTags', () => ec2.send(new DeleteTagsCommand({ DryRun: true, Resources: fresh, Tags: tags.map((t) => ({ Key: t.Key })) }), { abortSignal: signal }));
      await ec2.send(new StopInstancesCommand({ InstanceIds: fresh, Hibernate: run.hibernate }), { abortSignal: signal });
      ctx.log.info({ handleId: ctx.handleId, instances: fresh, hibernate: run.hibernate }, 'instances stopping');
    }
  } catch (err) {
    await rollback(ctx, applied, deps);
    throw err instanceof FaultlineError ? err : awsError(`${faultType} failed`, err, 'inject_failed');
  }
  return data;
}

/** Undoes what a failed inject changed so far; what it cannot undo keeps its tags for listOwned. */
async function rollback(ctx: TargetContext, applied: InstanceHandleData, deps: InstanceFamilyDeps): Promise<void> {
  if (applied.instances.length === 0 && applied.asgs.length === 0) return;
  try {
    await revertInstanceFault(ctx.handleId, applied, deps, { log: ctx.log });
    ctx.log.warn({ handleId: ctx.handleId, instances: applied.instances, asgs: applied.asgs.map((g) => g.name) }, 'inject failed; what it had changed is reverted');
  } catch (err) {
    ctx.log.error({ handleId: ctx.handleId, err }, 'inject failed and its rollback failed; reconcile will find the tagged resources');
  }
}
