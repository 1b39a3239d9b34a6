/**
 * Auto Scaling behind the stand-in, in the AWS Query protocol: the groups, their instances, their
 * suspended processes and their tags, over the same Ec2World as EC2.
 */
import type { AwsRequest, AwsResponse, AwsStandIn } from './aws-standin.js';
import { type Ec2World, type FakeAsg, type FakeInstance, SCALING_PROCESSES } from './ec2-world.js';
import { Cursors, el, esc, QueryParams, queryError, queryResponse, ServiceError } from './query-xml.js';

/** A handler's Result body, or undefined for operations without output. */
type Handler = (p: QueryParams, req: AwsRequest) => string | undefined;

const validation = (message: string) => new ServiceError(400, 'ValidationError', message);

function lifecycle(i: FakeInstance | undefined): { state: string; health: 'Healthy' | 'Unhealthy' } {
  switch (i?.state) {
    case 'running':
      return { state: 'InService', health: 'Healthy' };
    case 'pending':
      return { state: 'Pending', health: 'Healthy' };
    case 'stopping':
    case 'stopped':
      return { state: 'InService', health: 'Unhealthy' };
    case 'shutting-down':
      return { state: 'Terminating', health: 'Unhealthy' };
    default:
      return { state: 'Terminated', health: 'Unhealthy' };
  }
}

function members(items: string[]): string {
  return items.map((i) => `<member>${i}</member>`).join('');
}

export function registerAutoScaling(standIn: AwsStandIn, world: Ec2World): void {
  const cursors = new Cursors();

  const arnOf = (asg: FakeAsg, region: string) => `arn:aws:autoscaling:${region}:${world.accountId}:autoScalingGroup:00000000-0000-4000-8000-000000000000:autoScalingGroupName/${asg.name}`;

  const tagXml = (asg: FakeAsg, key: string): string =>
    `<member>${el('ResourceId', asg.name)}${el('ResourceType', 'auto-scaling-group')}${el('Key', key)}${el('Value', asg.tags[key])}${el('PropagateAtLaunch', asg.propagateAtLaunch[key] === true)}</member>`;

  const groupOrThrow = (name: string | undefined): FakeAsg => {
    if (!name) throw validation('1 validation error detected: Value null at \'autoScalingGroupName\' failed to satisfy constraint: Member must not be null');
    const asg = world.asgs.get(name);
    if (!asg) throw validation(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return asg;
  };

  const maxRecords = (p: QueryParams, limit: number): number => {
    const max = p.int('MaxRecords');
    if (max === undefined) return 50;
    if (Number.isNaN(max) || max < 1 || max > limit)
      throw validation(`1 validation error detected: Value '${p.get('MaxRecords')}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to ${limit}`);
    return max;
  };

  /** One page of `all` (computed only on the first page), with the NextToken of the rest. */
  const page = <T>(p: QueryParams, key: string, limit: number, all: () => string[], render: (id: string) => T | undefined): { items: T[]; next: string | undefined } => {
    const max = maxRecords(p, limit);
    const token = p.get('NextToken');
    let ids: string[];
    let offset = 0;
    if (token) {
      const c = cursors.take(token, key);
      if (!c) throw new ServiceError(400, 'InvalidNextToken', 'The token is not valid.');
      ids = c.ids;
      offset = c.offset;
    } else ids = all();
    const end = Math.min(ids.length, offset + max);
    const items: T[] = [];
    for (let n = offset; n < end; n++) {
      const r = render(ids[n]!);
      if (r !== undefined) items.push(r);
    }
    return { items, next: end < ids.length ? cursors.issue(ids, end, key) : undefined };
  };

  const filterKey = (p: QueryParams, extra: string[]) => p.structs('Filters.member').map((f) => `${f.get('Name')}=${f.list('Values.member').join(',')}`).join(';') + `|${extra.join(',')}`;

  const processesOf = (p: QueryParams): string[] => {
    const named = p.list('ScalingProcesses.member');
    const bad = named.find((n) => !(SCALING_PROCESSES as readonly string[]).includes(n));
    if (bad) throw validation(`Unrecognized process name: ${bad}`);
    return named.length ? named : [...SCALING_PROCESSES];
  };

  const tagsParam = (p: QueryParams) =>
    p.structs('Tags.member').map((t) => {
      const type = t.get('ResourceType');
      if (type !== undefined && type !== 'auto-scaling-group') throw validation(`Invalid resource type: ${type}`);
      const key = t.get('Key');
      if (!key) throw validation("1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null");
      return { asg: groupOrThrow(t.get('ResourceId')), key, value: t.get('Value'), propagate: t.get('PropagateAtLaunch') };
    });

  const handlers: Record<string, Handler> = {
    DescribeAutoScalingGroups(p, req) {
      const names = p.list('AutoScalingGroupNames.member');
      const filters = p.structs('Filters.member').map((f) => {
        const name = f.get('Name') ?? '';
        const values = f.list('Values.member');
        if (name === 'tag-key') return (a: FakeAsg) => Object.keys(a.tags).some((k) => values.includes(k));
        if (name === 'tag-value') return (a: FakeAsg) => Object.values(a.tags).some((v) => values.includes(v));
        if (name.startsWith('tag:')) return (a: FakeAsg) => a.tags[name.slice(4)] !== undefined && values.includes(a.tags[name.slice(4)]!);
        throw validation(`Filter name ${name} is invalid`);
      });
      const { items, next } = page(
        p,
        `groups|${filterKey(p, names)}`,
        100,
        () => (names.length ? names.filter((n) => world.asgs.has(n)) : [...world.asgs.keys()]).filter((n) => filters.every((f) => f(world.asgs.get(n)!))),
        (name) => {
          const a = world.asgs.get(name);
          if (!a) return undefined;
          const instances = a.instanceIds.map((id) => {
            const i = world.instances.get(id);
            const lc = lifecycle(i);
            return `<member>${el('InstanceId', id)}${el('InstanceType', i?.type)}${el('AvailabilityZone', i?.zone)}${el('LifecycleState', lc.state)}${el('HealthStatus', lc.health)}<LaunchTemplate>${el('LaunchTemplateId', 'lt-0fa017111e0000001')}${el('LaunchTemplateName', a.name)}${el('Version', '1')}</LaunchTemplate>${el('ProtectedFromScaleIn', false)}</member>`;
          });
          const suspended = a.suspended.map((s) => `<member>${el('ProcessName', s)}${el('SuspensionReason', `User suspended at ${a.suspendedAt[s] ?? a.createdTime}`)}</member>`);
          const subnets = [...new Set(a.instanceIds.map((id) => world.instances.get(id)?.subnetId).filter((s): s is string => !!s))];
          return (
            `<member>${el('AutoScalingGroupName', a.name)}${el('AutoScalingGroupARN', arnOf(a, req.region))}` +
            `<LaunchTemplate>${el('LaunchTemplateId', 'lt-0fa017111e0000001')}${el('LaunchTemplateName', a.name)}${el('Version', '1')}</LaunchTemplate>` +
            `${el('MinSize', a.min)}${el('MaxSize', a.max)}${el('DesiredCapacity', a.desired)}${el('DefaultCooldown', 300)}` +
            `<AvailabilityZones>${members(a.zones.map(esc))}</AvailabilityZones><LoadBalancerNames/><TargetGroupARNs/>` +
            `${el('HealthCheckType', 'EC2')}${el('HealthCheckGracePeriod', 300)}<Instances>${instances.join('')}</Instances>${el('CreatedTime', a.createdTime)}` +
            `<SuspendedProcesses>${suspended.join('')}</SuspendedProcesses>${el('VPCZoneIdentifier', subnets.join(','))}<EnabledMetrics/>` +
            `<Tags>${Object.keys(a.tags).map((k) => tagXml(a, k)).join('')}</Tags><TerminationPolicies><member>Default</member></TerminationPolicies>` +
            `${el('NewInstancesProtectedFromScaleIn', false)}${el('ServiceLinkedRoleARN', `arn:aws:iam::${world.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`)}` +
            `${el('CapacityRebalance', false)}</member>`
          );
        },
      );
      return `<AutoScalingGroups>${items.join('')}</AutoScalingGroups>${el('NextToken', next)}`;
    },

    DescribeAutoScalingInstances(p) {
      const ids = p.list('InstanceIds.member');
      if (ids.length > 50) throw validation('The number of instance ids that may be passed in is limited to 50');
      const owner = new Map<string, FakeAsg>();
      for (const a of world.asgs.values()) for (const id of a.instanceIds) if (!owner.has(id)) owner.set(id, a);
      const { items, next } = page(
        p,
        `instances|${ids.join(',')}`,
        50,
        () => (ids.length ? ids.filter((id) => owner.has(id)) : [...owner.keys()]),
        (id) => {
          const a = owner.get(id) ?? world.asgOf(id);
          if (!a) return undefined;
          const i = world.instances.get(id);
          const lc = lifecycle(i);
          // This operation spells health in capitals (HEALTHY), unlike DescribeAutoScalingGroups (Healthy).
          return `<member>${el('InstanceId', id)}${el('InstanceType', i?.type)}${el('AutoScalingGroupName', a.name)}${el('AvailabilityZone', i?.zone)}${el('LifecycleState', lc.state)}${el('HealthStatus', lc.health.toUpperCase())}<LaunchTemplate>${el('LaunchTemplateId', 'lt-0fa017111e0000001')}${el('LaunchTemplateName', a.name)}${el('Version', '1')}</LaunchTemplate>${el('ProtectedFromScaleIn', false)}</member>`;
        },
      );
      return `<AutoScalingInstances>${items.join('')}</AutoScalingInstances>${el('NextToken', next)}`;
    },

    SuspendProcesses(p) {
      const a = groupOrThrow(p.get('AutoScalingGroupName'));
      const processes = processesOf(p);
      const added = processes.filter((s) => !a.suspended.includes(s));
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      for (const s of added) {
        a.suspended.push(s);
        a.suspendedAt[s] = now;
      }
      world.record('autoscaling:SuspendProcesses', [a.name], { processes, added });
      return undefined;
    },

    ResumeProcesses(p) {
      const a = groupOrThrow(p.get('AutoScalingGroupName'));
      const processes = processesOf(p);
      const removed = a.suspended.filter((s) => processes.includes(s));
      a.suspended = a.suspended.filter((s) => !processes.includes(s));
      for (const s of removed) delete a.suspendedAt[s];
      world.record('autoscaling:ResumeProcesses', [a.name], { processes, removed });
      return undefined;
    },

    CreateOrUpdateTags(p) {
      const tags = tagsParam(p);
      if (tags.length === 0) throw validation("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null");
      for (const t of tags) {
        t.asg.tags[t.key] = t.value ?? '';
        t.asg.propagateAtLaunch[t.key] = (t.propagate ?? '').toLowerCase() === 'true';
      }
      world.record('autoscaling:CreateOrUpdateTags', [...new Set(tags.map((t) => t.asg.name))], { tags: tags.map((t) => ({ group: t.asg.name, key: t.key, value: t.value ?? '' })) });
      return undefined;
    },

    DeleteTags(p) {
      const tags = tagsParam(p);
      for (const t of tags) {
        if (t.value !== undefined && t.asg.tags[t.key] !== t.value) continue;
        delete t.asg.tags[t.key];
        delete t.asg.propagateAtLaunch[t.key];
      }
      world.record('autoscaling:DeleteTags', [...new Set(tags.map((t) => t.asg.name))], { keys: tags.map((t) => ({ group: t.asg.name, key: t.key })) });
      return undefined;
    },

    DescribeTags(p) {
      const filters = p.structs('Filters.member').map((f) => {
        const name = f.get('Name') ?? '';
        const values = f.list('Values.member');
        switch (name) {
          case 'auto-scaling-group':
            return (t: { group: string; key: string; value: string; propagate: boolean }) => values.includes(t.group);
          case 'key':
            return (t: { key: string }) => values.includes(t.key);
          case 'value':
            return (t: { value: string }) => values.includes(t.value);
          case 'propagate-at-launch':
            return (t: { propagate: boolean }) => values.includes(String(t.propagate));
          default:
            throw validation(`Filter name ${name} is invalid`);
        }
      });
      const { items, next } = page(
        p,
        `tags|${filterKey(p, [])}`,
        100,
        () => {
          const out: string[] = [];
          for (const a of world.asgs.values())
            for (const [key, value] of Object.entries(a.tags)) {
              const t = { group: a.name, key, value, propagate: a.propagateAtLaunch[key] === true };
              if (filters.every((f) => f(t))) out.push(JSON.stringify([a.name, key]));
            }
          return out;
        },
        (ref) => {
          const [name, key] = JSON.parse(ref) as [string, string];
          const a = world.asgs.get(name);
          return a && a.tags[key] !== undefined ? tagXml(a, key) : undefined;
        },
      );
      return `<Tags>${items.join('')}</Tags>${el('NextToken', next)}`;
    },
  };

  standIn.register('autoscaling', {
    error: queryError,
    handle(req): AwsResponse {
      const handler = handlers[req.action];
      if (!handler) return queryError(400, 'InvalidAction', `Could not find operation ${req.action} for version 2011-01-01`, req.requestId);
      try {
        if (world.isDenied('autoscaling', req.action))
          throw new ServiceError(
            403,
            'AccessDenied',
            `User: arn:aws:iam::${world.accountId}:user/faultline is not authorized to perform: autoscaling:${req.action} because no identity-based policy allows the autoscaling:${req.action} action`,
          );
        return queryResponse(req.action, handler(new QueryParams(req.body), req), req.requestId);
      } catch (err) {
        if (err instanceof ServiceError) return queryError(err.status, err.code, err.message, req.requestId);
        throw err;
      }
    },
  });
}
