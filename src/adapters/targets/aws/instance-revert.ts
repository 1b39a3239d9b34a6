/**
 * Revert of ec2-stop and zone-outage, from the handle's data alone (journal or tags): start the
 * instances that carry this handle's tag, wait until they run, resume on each group only the
 * processes Faultline suspended, then remove the tags — last, so a revert cut short is found again.
 * What no longer carries this handle's tag is left alone: a second revert does nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteTagsCommand as DeleteAsgTagsCommand, ResumeProcessesCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { DeleteTagsCommand, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { FaultlineError } from '../../../core/errors.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { awsError } from './aws-errors.js';
import { AWS_TAGS } from './fault-family.js';
import type { InstanceFamilyDeps, InstanceHandleData } from './instance-handle.js';
import { describeGroups, describeInstances, type InstanceInfo } from './instances.js';
import { OWN_TAG_KEYS, tagMap } from './tags.js';

const chunks = <T>(items: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

export interface RevertOptions {
  signal?: AbortSignal | undefined;
  log: AdapterLogger;
}

/**
 * Polls the instances until none is in one of `passing` (stopping, pending) or the wait times out;
 * returns the last reading. Abortable by the signal.
 */
export async function waitWhile(deps: InstanceFamilyDeps, region: string, ids: readonly string[], passing: readonly string[], signal: AbortSignal | undefined): Promise<InstanceInfo[]> {
  const ec2 = deps.clients.ec2(region);
  const deadline = Date.now() + deps.config.waitTimeout;
  for (;;) {
    const now = await describeInstances(ec2, { ids }, signal);
    const moving = now.filter((i) => passing.includes(i.state));
    if (moving.length === 0 || Date.now() >= deadline) return now;
    await sleep(Math.min(deps.config.pollInterval, Math.max(0, deadline - Date.now())), undefined, signal ? { signal } : {});
  }
}

export async function revertInstanceFault(handleId: string, data: InstanceHandleData, deps: InstanceFamilyDeps, opts: RevertOptions): Promise<void> {
  const { region } = data;
  const ec2 = deps.clients.ec2(region);
  const signal = opts.signal;
  const ours = (tags: Record<string, string>) => tags[AWS_TAGS.handle] === handleId;

  // 1. Instances: what still carries this handle's tag, once it has finished stopping.
  let instances = data.instances.length > 0 ? await read(() => waitWhile(deps, region, data.instances, ['stopping'], signal), 'read the instances') : [];
  for (const i of instances) {
    if (!ours(i.tags) && i.tags[AWS_TAGS.handle] !== undefined) opts.log.warn({ handleId, instance: i.id, other: i.tags[AWS_TAGS.handle] }, 'instance carries another handle; not touching it');
  }
  instances = instances.filter((i) => ours(i.tags));
  for (const gone of instances.filter((i) => i.state === 'terminated' || i.state === 'shutting-down')) {
    opts.log.warn({ handleId, instance: gone.id }, 'instance was terminated while stopped; it cannot be started again');
  }
  const stuck = instances.filter((i) => i.state === 'stopping');
  if (stuck.length > 0) {
    throw new FaultlineError('revert_failed', `${stuck.map((i) => i.id).join(', ')} still stopping after ${Math.round(deps.config.waitTimeout / 1000)}s; they cannot be started before they have stopped`, { handleId });
  }
  const toStart = instances.filter((i) => i.state === 'stopped').map((i) => i.id);
  for (const part of chunks(toStart, 100)) {
    try {
      await ec2.send(new StartInstancesCommand({ InstanceIds: part }), { abortSignal: signal });
    } catch (err) {
      throw awsError(`could not start ${part.join(', ')}`, err, 'revert_failed', { handleId });
    }
  }
  const live = instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => i.id);
  if (live.length > 0) {
    const after = await read(() => waitWhile(deps, region, live, ['pending', 'stopping', 'stopped'], signal), 'read the instances');
    const notRunning = after.filter((i) => live.includes(i.id) && i.state !== 'running');
    if (notRunning.length > 0) {
      throw new FaultlineError('revert_failed', `${notRunning.map((i) => `${i.id} is ${i.state}`).join(', ')} after waiting ${Math.round(deps.config.waitTimeout / 1000)}s for running`, {
        handleId,
      });
    }
  }

  // 2. Groups: resume only what Faultline suspended, on groups still carrying this handle's tag.
  const asg = deps.clients.autoScaling(region);
  const groups = data.asgs.length > 0 ? await read(() => describeGroups(asg, data.asgs.map((g) => g.name), signal), 'read the Auto Scaling groups') : new Map<string, AutoScalingGroup>();
  for (const change of data.asgs) {
    const group = groups.get(change.name);
    if (!group) continue; // deleted: nothing left to resume
    if (!ours(tagMap(group.Tags))) continue;
    try {
      if (change.suspended.length > 0) await asg.send(new ResumeProcessesCommand({ AutoScalingGroupName: change.name, ScalingProcesses: change.suspended }), { abortSignal: signal });
      await asg.send(
        new DeleteAsgTagsCommand({ Tags: OWN_TAG_KEYS.map((Key) => ({ ResourceId: change.name, ResourceType: 'auto-scaling-group', Key })) }),
        { abortSignal: signal },
      );
    } catch (err) {
      throw awsError(`could not resume ${change.suspended.join(', ')} on Auto Scaling group ${change.name}`, err, 'revert_failed', { handleId });
    }
    opts.log.info({ handleId, asg: change.name, resumed: change.suspended }, 'auto scaling processes resumed');
  }

  // 3. The marks, last.
  const marked = instances.map((i) => i.id);
  for (const part of chunks(marked, 100)) {
    try {
      await ec2.send(new DeleteTagsCommand({ Resources: part, Tags: OWN_TAG_KEYS.map((Key) => ({ Key })) }), { abortSignal: signal });
    } catch (err) {
      throw awsError(`could not remove Faultline's tags from ${part.join(', ')}`, err, 'revert_failed', { handleId });
    }
  }
  if (toStart.length > 0 || marked.length > 0) opts.log.info({ handleId, started: toStart, unmarked: marked }, 'instances started and unmarked');

  async function read<T>(f: () => Promise<T>, what: string): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw awsError(`could not ${what}`, err, 'revert_failed', { handleId });
    }
  }
}
