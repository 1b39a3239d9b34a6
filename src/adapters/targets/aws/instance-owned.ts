/**
 * listOwned and confirmReverted of the instances family, from AWS alone: every instance and Auto
 * Scaling group carrying `faultline:handle`, regrouped into handles from their tags; and the read-back
 * after a revert (instances running, our processes resumed, our tags gone), with the aws CLI commands
 * that finish the job by hand.
 */
import { DescribeTagsCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { FaultHandle, ResolvedTarget, RevertReceipt } from '../../../core/ports.js';
import { awsError } from './aws-errors.js';
import { AWS_TAGS } from './fault-family.js';
import type { AsgChange, InstanceFamilyDeps, InstanceHandleData } from './instance-handle.js';
import { describeGroups, describeInstances, instanceTarget } from './instances.js';
import { INSTANCE_FAULT_TYPES } from './schema-instances.js';
import { OWN_TAG_KEYS, parsedTime, suspendedOf, tagMap, TAG_APPLIED_AT, TAG_SUSPENDED } from './tags.js';

interface Group {
  handleId: string;
  experimentId: string;
  faultType: string;
  region: string;
  appliedAt: number;
  expiresAt: number;
  expiryKnown: boolean;
  instances: string[];
  asgs: AsgChange[];
  targets: ResolvedTarget[];
}

const isOurFault = (t: string | undefined) => t !== undefined && (INSTANCE_FAULT_TYPES as readonly string[]).includes(t);

/** Every instances-family fault still marked in the regions Faultline may act in (and its default region). */
export async function listOwnedInstanceFaults(deps: InstanceFamilyDeps, signal?: AbortSignal): Promise<FaultHandle[]> {
  const groups = new Map<string, Group>();
  const add = (region: string, tags: Record<string, string>, what: { instance?: string; asg?: AsgChange; target?: ResolvedTarget }) => {
    const handleId = tags[AWS_TAGS.handle];
    if (!handleId || !isOurFault(tags[AWS_TAGS.fault])) return; // FIS resources belong to the FIS family
    const key = `${region}/${handleId}`;
    const g = groups.get(key) ?? {
      handleId,
      experimentId: tags[AWS_TAGS.experiment] ?? '',
      faultType: tags[AWS_TAGS.fault] ?? 'unknown',
      region,
      appliedAt: parsedTime(tags[TAG_APPLIED_AT]) ?? 0,
      expiresAt: 0,
      expiryKnown: true,
      instances: [],
      asgs: [],
      targets: [],
    };
    const expiresAt = parsedTime(tags[AWS_TAGS.expiresAt]);
    if (expiresAt === null) g.expiryKnown = false;
    // One expiry is written on everything of a handle; should they differ, the latest holds.
    else if (expiresAt > g.expiresAt) g.expiresAt = expiresAt;
    if (what.instance) g.instances.push(what.instance);
    if (what.target) g.targets.push(what.target);
    if (what.asg) g.asgs.push(what.asg);
    groups.set(key, g);
  };

  for (const region of await deps.clients.ownedRegions()) {
    try {
      const instances = await describeInstances(deps.clients.ec2(region), { filters: [{ Name: 'tag-key', Values: [AWS_TAGS.handle] }] }, signal);
      for (const i of instances) add(region, i.tags, { instance: i.id, target: instanceTarget(i, region, undefined) });
      const asg = deps.clients.autoScaling(region);
      const names = new Set<string>();
      let token: string | undefined;
      do {
        const res = await asg.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: [AWS_TAGS.handle] }], MaxRecords: 100, ...(token ? { NextToken: token } : {}) }), {
          abortSignal: signal,
        });
        for (const t of res.Tags ?? []) if (t.ResourceType === 'auto-scaling-group' && t.ResourceId) names.add(t.ResourceId);
        token = res.NextToken;
      } while (token);
      for (const [name, g] of await describeGroups(asg, [...names], signal)) {
        const tags = tagMap(g.Tags);
        add(region, tags, { asg: { name, suspended: suspendedOf(tags[TAG_SUSPENDED]) } });
      }
    } catch (err) {
      // Never "nothing there" when AWS could not be read: reconcile must not take a fault for reverted.
      throw awsError(`could not list Faultline's tags in ${region}`, err);
    }
  }

  return [...groups.values()]
    .sort((a, b) => a.handleId.localeCompare(b.handleId))
    .map((g) => ({
      handleId: g.handleId,
      experimentId: g.experimentId,
      adapter: 'aws',
      faultType: g.faultType,
      targets: g.targets.sort((a, b) => a.id.localeCompare(b.id)),
      appliedAt: g.appliedAt,
      expiresAt: g.expiresAt,
      data: { region: g.region, instances: g.instances.sort(), asgs: g.asgs, rebuilt: true, expiryKnown: g.expiryKnown } satisfies InstanceHandleData,
    }));
}

/** The aws CLI commands that finish a revert by hand. */
export function manualSteps(handleId: string, data: InstanceHandleData): string[] {
  const r = `--region ${data.region}`;
  const keys = OWN_TAG_KEYS.map((k) => `Key=${k}`).join(' ');
  const steps: string[] = [];
  if (data.instances.length > 0) {
    const ids = data.instances.join(' ');
    steps.push(`aws ec2 start-instances ${r} --instance-ids ${ids}`);
    steps.push(`aws ec2 wait instance-running ${r} --instance-ids ${ids}`);
  }
  for (const g of data.asgs) {
    if (g.suspended.length > 0) steps.push(`aws autoscaling resume-processes ${r} --auto-scaling-group-name ${g.name} --scaling-processes ${g.suspended.join(' ')}`);
    steps.push(`aws autoscaling delete-tags ${r} --tags ${OWN_TAG_KEYS.map((k) => `ResourceId=${g.name},ResourceType=auto-scaling-group,Key=${k}`).join(' ')}`);
  }
  if (data.instances.length > 0) steps.push(`aws ec2 delete-tags ${r} --resources ${data.instances.join(' ')} --tags ${keys}`);
  steps.push(`# then check: aws ec2 describe-instances ${r} --filters Name=tag:${AWS_TAGS.handle},Values=${handleId}`);
  return steps;
}

export async function confirmInstanceFault(handleId: string, data: InstanceHandleData, deps: InstanceFamilyDeps, signal?: AbortSignal): Promise<RevertReceipt> {
  const differences: string[] = [];
  try {
    const ec2 = deps.clients.ec2(data.region);
    const found = new Map((data.instances.length > 0 ? await describeInstances(ec2, { ids: data.instances }, signal) : []).map((i) => [i.id, i]));
    for (const id of data.instances) {
      const i = found.get(id);
      if (!i) {
        differences.push(`instance ${id} is gone (terminated while stopped?); it cannot be started again`);
        continue;
      }
      const tags = i.tags;
      if (tags[AWS_TAGS.handle] !== undefined && tags[AWS_TAGS.handle] !== handleId) continue; // another fault's now
      if (i.state !== 'running') differences.push(`instance ${id} is ${i.state}, expected running`);
      const left = tags[AWS_TAGS.handle] === handleId ? OWN_TAG_KEYS.filter((k) => tags[k] !== undefined) : [];
      if (left.length > 0) differences.push(`instance ${id} still carries ${left.join(', ')}`);
    }
    const groups = data.asgs.length > 0 ? await describeGroups(deps.clients.autoScaling(data.region), data.asgs.map((g) => g.name), signal) : new Map<string, AutoScalingGroup>();
    for (const change of data.asgs) {
      const g = groups.get(change.name);
      if (!g) continue; // a deleted group has nothing suspended
      const tags = tagMap(g.Tags);
      if (tags[AWS_TAGS.handle] !== undefined && tags[AWS_TAGS.handle] !== handleId) continue;
      const suspended = new Set((g.SuspendedProcesses ?? []).map((p) => p.ProcessName));
      const still = change.suspended.filter((p) => suspended.has(p));
      if (still.length > 0) differences.push(`Auto Scaling group ${change.name}: ${still.join(', ')} still suspended`);
      if (tags[AWS_TAGS.handle] === handleId) differences.push(`Auto Scaling group ${change.name} still carries ${AWS_TAGS.handle}=${handleId}`);
    }
  } catch (err) {
    differences.push(`could not read the resources back: ${awsError('read-back', err).message}`);
  }
  const confirmed = differences.length === 0;
  return { confirmed, differences, manualSteps: confirmed ? [] : manualSteps(handleId, data) };
}
