/**
 * The instances family of the aws driver: `ec2-stop` and `zone-outage` on EC2 instances picked by
 * their tags (and optionally a zone). Preview lists the running instances the selector matches,
 * without those tagged `faultline:protected=true`; the core applies the blast radius and the
 * config's protection and caps to what it returns.
 */
import { FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetSpec } from '../../../core/ports.js';
import { checkInstanceAccess } from './access-check.js';
import { describeInstanceTarget } from './describe-target.js';
import { checkAccount, checkAnyAccount, checkRegion } from './allow-list.js';
import { awsError } from './aws-errors.js';
import { AWS_TAGS, type AwsFaultFamily } from './fault-family.js';
import { InstanceHandleData, ZONE_OUTAGE_PROCESSES, type InstanceFamilyDeps } from './instance-handle.js';
import { injectInstanceFault, instancesOf, outageZone } from './instance-inject.js';
import { confirmInstanceFault, listOwnedInstanceFaults } from './instance-owned.js';
import { revertInstanceFault } from './instance-revert.js';
import { describeGroups, describeInstances, groupsOf, instanceTarget } from './instances.js';
import { INSTANCE_FAULT_PARAMS, INSTANCE_FAULT_TYPES, resolvedInstanceTargetSchema, type InstanceFaultType, type InstanceTarget } from './schema-instances.js';
import { isProtected } from './tags.js';

const isInstanceFault = (t: string): t is InstanceFaultType => (INSTANCE_FAULT_TYPES as readonly string[]).includes(t);

const RUNNING = { Name: 'instance-state-name', Values: ['running'] };
const tagFilters = (t: InstanceTarget) => Object.entries(t.selector).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));

function parseTarget(target: TargetSpec): InstanceTarget {
  const spec = resolvedInstanceTargetSchema.safeParse(target);
  if (!spec.success) throw new FaultlineError('playbook_invalid', `invalid aws instance target:\n${formatIssues(spec.error.issues, ['target'])}`);
  return spec.data;
}

export function createInstanceFaults(deps: InstanceFamilyDeps): AwsFaultFamily {
  const { config, clients } = deps;

  function handleData(handle: FaultHandle): InstanceHandleData {
    const data = InstanceHandleData.safeParse(handle.data ?? {});
    if (!data.success) throw new FaultlineError('revert_failed', `handle ${handle.handleId} has unreadable data: ${formatIssues(data.error.issues, ['data'])}`, { handleId: handle.handleId });
    return data.data;
  }

  return {
    faultTypes: INSTANCE_FAULT_TYPES,

    ownsTarget: (target) => resolvedInstanceTargetSchema.safeParse(target).success,

    async preview(target, ctx) {
      const t = parseTarget(target);
      checkAnyAccount(config);
      const region = t.region ?? (await clients.defaultRegion());
      checkRegion(region, await clients.allowedRegions(), config);
      const filters = [...tagFilters(t), RUNNING, ...(t.zone ? [{ Name: 'availability-zone', Values: [t.zone] }] : [])];
      try {
        const found = await describeInstances(clients.ec2(region), { filters }, ctx.signal);
        for (const i of found) checkAccount(i.account, config);
        const spared = found.filter((i) => isProtected(i.tags));
        const candidates = found.filter((i) => !isProtected(i.tags));
        if (spared.length > 0) ctx.log.debug({ region, protected: spared.map((i) => i.id) }, `instances tagged ${AWS_TAGS.protected}=true left out`);
        if (candidates.length === 0 && spared.length > 0) {
          throw new FaultlineError('protected_target', `every matching instance is tagged ${AWS_TAGS.protected}=true (${spared.map((i) => i.id).join(', ')})`, { protected: spared.map((i) => i.id) });
        }
        const holders = candidates.length > 0 ? await groupsOf(clients.autoScaling(region), candidates.map((i) => i.id), ctx.signal) : new Map<string, string>();
        return candidates.map((i) => instanceTarget(i, region, holders.get(i.id))).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      } catch (err) {
        throw awsError(`could not list the instances in ${region}`, err);
      }
    },

    describeTarget: describeInstanceTarget,

    /** A zone's instances are measured against the selector's instances in every zone, so one zone of three is about 33 %. */
    async population(target, ctx) {
      const t = parseTarget(target);
      if (t.zone === undefined) return undefined;
      const region = t.region ?? (await clients.defaultRegion());
      checkRegion(region, await clients.allowedRegions(), config);
      try {
        const found = await describeInstances(clients.ec2(region), { filters: [...tagFilters(t), RUNNING] }, ctx.signal);
        return found.filter((i) => !isProtected(i.tags)).length;
      } catch (err) {
        throw awsError(`could not count the instances in ${region}`, err);
      }
    },

    /** zone-outage: what each group is told not to do; ec2-stop: the groups that may replace a stopped instance. */
    async impact(fault, targets, ctx) {
      if (!isInstanceFault(fault.type) || targets.length === 0) return [];
      const { region, ids } = instancesOf(targets, fault.type);
      const byGroup = new Map<string, string[]>();
      for (const t of targets) if (t.attributes.asg) byGroup.set(t.attributes.asg, [...(byGroup.get(t.attributes.asg) ?? []), t.attributes.instanceId ?? t.id]);
      if (fault.type === 'ec2-stop') {
        return [...byGroup].map(
          ([g, held]) => `ASG ${g} holds ${held.join(', ')}: while stopped they may fail its health checks and be replaced (terminated); zone-outage suspends the group's healing`,
        );
      }
      outageZone(targets);
      try {
        const groups = await describeGroups(clients.autoScaling(region), [...(await groupsOf(clients.autoScaling(region), ids, ctx.signal)).values()], ctx.signal);
        return [...groups].map(([name, g]) => {
          const already = new Set((g.SuspendedProcesses ?? []).map((p) => p.ProcessName));
          const ours = ZONE_OUTAGE_PROCESSES.filter((p) => !already.has(p));
          const kept = ZONE_OUTAGE_PROCESSES.filter((p) => already.has(p));
          if (ours.length === 0) return `ASG ${name}: ${kept.join(', ')} already suspended; left as they are`;
          return `ASG ${name}: ${ours.join(', ')} suspended during the fault${kept.length > 0 ? ` (${kept.join(', ')} already suspended; left as they are)` : ''}`;
        });
      } catch (err) {
        throw awsError('could not read the Auto Scaling groups', err);
      }
    },

    /** The EC2 calls by DryRun; zone-outage's Auto Scaling calls as not checkable (no DryRun there). */
    async checkAccess(fault, targets, ctx) {
      if (!isInstanceFault(fault.type) || targets.length === 0) return [];
      const params = INSTANCE_FAULT_PARAMS[fault.type].safeParse(fault.parameters ?? {});
      if (!params.success) throw new FaultlineError('playbook_invalid', `invalid ${fault.type} parameters:\n${formatIssues(params.error.issues, ['fault', 'parameters'])}`);
      const { region, ids } = instancesOf(targets, fault.type);
      checkRegion(region, await clients.allowedRegions(), config);
      const groups = [...new Set(targets.map((t) => t.attributes.asg).filter((g): g is string => !!g))].sort();
      return checkInstanceAccess(clients.ec2(region), { faultType: fault.type, hibernate: params.data.hibernate, region, ids, groups, durationMs: fault.duration, now: deps.now, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    },

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle> {
      if (!isInstanceFault(fault.type)) throw new FaultlineError('inject_failed', `the aws instances faults are ${INSTANCE_FAULT_TYPES.join(', ')}, not "${fault.type}"`);
      const type = fault.type;
      const params = INSTANCE_FAULT_PARAMS[type].safeParse(fault.parameters ?? {});
      if (!params.success) throw new FaultlineError('inject_failed', `invalid ${type} parameters:\n${formatIssues(params.error.issues, ['fault', 'parameters'])}`);
      if (targets.length === 0) throw new FaultlineError('no_targets', 'nothing to inject into: no targets were selected');
      const data = await injectInstanceFault({ faultType: type, hibernate: params.data.hibernate, targets, ctx }, deps);
      ctx.log.info({ experimentId: ctx.experimentId, handleId: ctx.handleId, fault: type, instances: data.instances, asgs: data.asgs }, 'aws fault injected');
      return {
        handleId: ctx.handleId,
        experimentId: ctx.experimentId,
        adapter: 'aws',
        faultType: type,
        targets,
        appliedAt: ctx.now(),
        expiresAt: ctx.expiresAt,
        data: { ...data },
      };
    },

    async revert(handle: FaultHandle, ctx: DiscoverContext) {
      await revertInstanceFault(handle.handleId, handleData(handle), deps, { log: ctx.log, signal: ctx.signal });
    },

    listOwned: (ctx) => listOwnedInstanceFaults(deps, ctx.signal),

    async confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> {
      const data = InstanceHandleData.safeParse(handle.data ?? {});
      if (!data.success) {
        return {
          confirmed: false,
          differences: [`handle ${handle.handleId} has unreadable data (${formatIssues(data.error.issues, ['data'])}), so what it changed cannot be read back`],
          manualSteps: [`aws ec2 describe-instances --filters Name=tag:${AWS_TAGS.handle},Values=${handle.handleId}`],
        };
      }
      return confirmInstanceFault(handle.handleId, data.data, deps, ctx.signal);
    },
  };
}

