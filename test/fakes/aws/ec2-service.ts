/**
 * EC2 behind the stand-in, in the EC2 Query protocol: DescribeInstances, StopInstances,
 * StartInstances, CreateTags, DeleteTags and DescribeSubnets over an Ec2World, with DryRun and
 * denied actions answered as AWS answers them.
 */
import type { AwsRequest, AwsResponse, AwsStandIn } from './aws-standin.js';
import { type Ec2World, type FakeInstance, type FakeSubnet, STATE_CODES } from './ec2-world.js';
import { Cursors, ec2Error, ec2Response, el, globMatcher, QueryParams, ServiceError } from './query-xml.js';

type Handler = (p: QueryParams, req: AwsRequest) => string;

function tagSet(tags: Record<string, string>): string {
  const items = Object.entries(tags).map(([k, v]) => `<item>${el('key', k)}${el('value', v)}</item>`);
  return items.length ? `<tagSet>${items.join('')}</tagSet>` : '';
}

function stateXml(name: string, s: FakeInstance['state']): string {
  return `<${name}>${el('code', STATE_CODES[s])}${el('name', s)}</${name}>`;
}

/** A filter list as one predicate (filters AND, values OR), for instances or subnets. */
function filterPredicate<T>(p: QueryParams, field: (name: string, values: string[]) => ((x: T) => boolean) | undefined): (x: T) => boolean {
  const preds: ((x: T) => boolean)[] = [];
  for (const f of p.structs('Filter')) {
    const name = f.get('Name') ?? '';
    const values = f.list('Value');
    const pred = field(name, values);
    if (!pred) throw new ServiceError(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
    preds.push(pred);
  }
  return (x) => preds.every((pr) => pr(x));
}

function tagFilter<T extends { tags: Record<string, string> }>(name: string, values: string[]): ((x: T) => boolean) | undefined {
  const match = globMatcher(values);
  if (name.startsWith('tag:')) {
    const key = name.slice(4);
    return (x) => match(x.tags[key]);
  }
  if (name === 'tag-key') return (x) => Object.keys(x.tags).some((k) => match(k));
  if (name === 'tag-value') return (x) => Object.values(x.tags).some((v) => match(v));
  return undefined;
}

function instanceFilter(name: string, values: string[]): ((i: FakeInstance) => boolean) | undefined {
  const match = globMatcher(values);
  switch (name) {
    case 'availability-zone':
      return (i) => match(i.zone);
    case 'instance-state-name':
      return (i) => match(i.state);
    case 'instance-state-code':
      return (i) => match(String(STATE_CODES[i.state]));
    case 'instance-id':
      return (i) => match(i.id);
    case 'instance-type':
      return (i) => match(i.type);
    case 'subnet-id':
      return (i) => match(i.subnetId);
    case 'vpc-id':
      return (i) => match(i.vpcId);
    case 'owner-id':
      return (i) => match(i.ownerId);
    default:
      return tagFilter(name, values);
  }
}

function subnetFilter(name: string, values: string[]): ((s: FakeSubnet) => boolean) | undefined {
  const match = globMatcher(values);
  switch (name) {
    case 'subnet-id':
      return (s) => match(s.id);
    case 'availability-zone':
      return (s) => match(s.zone);
    case 'vpc-id':
      return (s) => match(s.vpcId);
    case 'cidr-block':
    case 'cidr':
      return (s) => match(s.cidr);
    default:
      return tagFilter(name, values);
  }
}

export function registerEc2(standIn: AwsStandIn, world: Ec2World): void {
  const cursors = new Cursors();

  const instanceXml = (i: FakeInstance): string => {
    const stopped = i.state === 'stopped' || i.state === 'stopping';
    return (
      `<item>${el('instanceId', i.id)}${el('imageId', 'ami-0fa017111e0000001')}${stateXml('instanceState', i.state)}` +
      `${el('privateDnsName', `ip-10-0-0-1.${i.zone.slice(0, -1)}.compute.internal`)}${el('dnsName', '')}${el('reason', stopped ? 'User initiated' : '')}` +
      `${el('amiLaunchIndex', 0)}${el('instanceType', i.type)}${el('launchTime', i.launchTime)}` +
      `<placement>${el('availabilityZone', i.zone)}${el('groupName', '')}${el('tenancy', 'default')}</placement>` +
      `<monitoring>${el('state', 'disabled')}</monitoring>${el('subnetId', i.subnetId)}${el('vpcId', i.vpcId)}` +
      `${el('privateIpAddress', '10.0.0.1')}${el('sourceDestCheck', true)}<groupSet/>` +
      (stopped ? `<stateReason>${el('code', 'Client.UserInitiatedShutdown')}${el('message', 'Client.UserInitiatedShutdown: User initiated shutdown')}</stateReason>` : '') +
      `${el('architecture', 'x86_64')}${el('rootDeviceType', 'ebs')}${el('rootDeviceName', '/dev/xvda')}` +
      `${el('virtualizationType', 'hvm')}${tagSet(i.tags)}${el('hypervisor', 'xen')}${el('ebsOptimized', false)}` +
      `<hibernationOptions>${el('configured', i.hibernation)}</hibernationOptions></item>`
    );
  };

  /** One reservation per instance, as for instances launched one by one. */
  const reservationXml = (i: FakeInstance): string =>
    `<item>${el('reservationId', `r-${i.id.slice(2)}`)}${el('ownerId', i.ownerId)}<groupSet/><instancesSet>${instanceXml(i)}</instancesSet></item>`;

  const existing = (ids: string[]): FakeInstance[] => {
    const missing: string[] = [];
    const out: FakeInstance[] = [];
    for (const id of ids) {
      if (!/^i-[0-9a-f]{8}([0-9a-f]{9})?$/.test(id)) throw new ServiceError(400, 'InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
      const inst = world.instances.get(id);
      if (inst) out.push(inst);
      else missing.push(id);
    }
    if (missing.length === 1) throw new ServiceError(400, 'InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw new ServiceError(400, 'InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    return out;
  };

  const stateChanges = (items: { id: string; prev: FakeInstance['state']; cur: FakeInstance['state'] }[]): string =>
    `<instancesSet>${items.map((c) => `<item>${el('instanceId', c.id)}${stateXml('currentState', c.cur)}${stateXml('previousState', c.prev)}</item>`).join('')}</instancesSet>`;

  const requiredIds = (p: QueryParams, name: string, param: string): string[] => {
    const ids = p.list(name);
    if (ids.length === 0) throw new ServiceError(400, 'MissingParameter', `The request must contain the parameter ${param}`);
    return ids;
  };

  const handlers: Record<string, Handler> = {
    DescribeInstances(p) {
      const ids = p.list('InstanceId');
      const max = p.int('MaxResults');
      const token = p.get('NextToken');
      if (max !== undefined && ids.length > 0) throw new ServiceError(400, 'InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
      if (max !== undefined && (Number.isNaN(max) || max < 5 || max > 1000))
        throw new ServiceError(400, 'InvalidParameterValue', `Value ( ${p.get('MaxResults')} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
      const key = p.structs('Filter').map((f) => `${f.get('Name')}=${f.list('Value').join(',')}`).join(';') + `|${ids.join(',')}`;
      let matching: string[];
      let offset = 0;
      if (token !== undefined && token !== '') {
        const c = cursors.take(token, key);
        if (!c) throw new ServiceError(400, 'InvalidPaginationToken', `The pagination token '${token}' is not valid or is expired.`);
        matching = c.ids;
        offset = c.offset;
      } else {
        const pred = filterPredicate(p, instanceFilter);
        const pool = ids.length ? existing(ids) : world.instances.values();
        matching = [];
        for (const i of pool) if (pred(i)) matching.push(i.id);
      }
      const end = max === undefined ? matching.length : Math.min(matching.length, offset + max);
      const parts: string[] = [];
      for (let n = offset; n < end; n++) {
        const inst = world.instances.get(matching[n]!);
        if (inst) parts.push(reservationXml(inst));
      }
      const next = end < matching.length ? cursors.issue(matching, end, key) : undefined;
      return `<reservationSet>${parts.join('')}</reservationSet>${el('nextToken', next)}`;
    },

    StopInstances(p) {
      const targets = existing(requiredIds(p, 'InstanceId', 'InstanceId'));
      const hibernate = p.bool('Hibernate');
      if (hibernate) {
        const unable = targets.find((i) => !i.hibernation);
        if (unable) throw new ServiceError(400, 'UnsupportedHibernationConfiguration', `The instance '${unable.id}' is not enabled for hibernation.`);
      }
      const bad = targets.find((i) => i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'pending');
      if (bad) throw new ServiceError(400, 'IncorrectInstanceState', `This instance '${bad.id}' is not in a state from which it can be stopped.`);
      const items = targets.map((i) => {
        const prev = i.state;
        if (prev === 'running') world.transition(i, 'stopping', 'stopped');
        return { id: i.id, prev, cur: prev === 'running' ? ('stopping' as const) : prev };
      });
      const changed = items.filter((c) => c.prev === 'running').map((c) => c.id);
      if (changed.length) world.record('ec2:StopInstances', changed, hibernate ? { hibernate: true } : undefined);
      return stateChanges(items);
    },

    StartInstances(p) {
      const targets = existing(requiredIds(p, 'InstanceId', 'InstanceId'));
      const bad = targets.find((i) => i.state === 'terminated' || i.state === 'shutting-down' || i.state === 'stopping');
      if (bad) throw new ServiceError(400, 'IncorrectInstanceState', `The instance '${bad.id}' is not in a state from which it can be started.`);
      const items = targets.map((i) => {
        const prev = i.state;
        if (prev === 'stopped') world.transition(i, 'pending', 'running');
        return { id: i.id, prev, cur: prev === 'stopped' ? ('pending' as const) : prev };
      });
      const changed = items.filter((c) => c.prev === 'stopped').map((c) => c.id);
      if (changed.length) world.record('ec2:StartInstances', changed);
      return stateChanges(items);
    },

    CreateTags(p) {
      const resources = requiredIds(p, 'ResourceId', 'ResourceId');
      const tags = p.structs('Tag').map((t) => ({ key: t.get('Key') ?? '', value: t.get('Value') ?? '' }));
      if (tags.length === 0) throw new ServiceError(400, 'MissingParameter', 'The request must contain the parameter Tag');
      const bad = tags.find((t) => t.key === '' || t.key.toLowerCase().startsWith('aws:'));
      if (bad) throw new ServiceError(400, 'InvalidParameterValue', `Tag key '${bad.key}' is invalid (empty, or starts with aws:)`);
      const targets = taggable(resources);
      for (const r of targets) for (const t of tags) r.tags[t.key] = t.value;
      world.record('ec2:CreateTags', resources, { tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) });
      return el('return', true);
    },

    DeleteTags(p) {
      const resources = requiredIds(p, 'ResourceId', 'ResourceId');
      const tags = p.structs('Tag').map((t) => ({ key: t.get('Key') ?? '', value: t.get('Value') }));
      const targets = taggable(resources);
      for (const r of targets) {
        // No Tag at all deletes every tag; a Tag without Value deletes the key whatever its value.
        if (tags.length === 0) for (const k of Object.keys(r.tags)) delete r.tags[k];
        for (const t of tags) if (t.value === undefined || r.tags[t.key] === t.value) delete r.tags[t.key];
      }
      world.record('ec2:DeleteTags', resources, { keys: tags.map((t) => t.key) });
      return el('return', true);
    },

    DescribeSubnets(p) {
      const ids = p.list('SubnetId');
      const pred = filterPredicate(p, subnetFilter);
      const missing = ids.find((id) => !world.subnets.has(id));
      if (missing) throw new ServiceError(400, 'InvalidSubnetID.NotFound', `The subnet ID '${missing}' does not exist`);
      const pool = ids.length ? ids.map((id) => world.subnets.get(id)!) : [...world.subnets.values()];
      const items = pool.filter(pred).map(
        (s) =>
          `<item>${el('subnetId', s.id)}${el('subnetArn', `arn:aws:ec2:eu-west-1:${world.accountId}:subnet/${s.id}`)}${el('state', 'available')}` +
          `${el('ownerId', world.accountId)}${el('vpcId', s.vpcId)}${el('cidrBlock', s.cidr)}${el('availableIpAddressCount', 251)}` +
          `${el('availabilityZone', s.zone)}${el('availabilityZoneId', `euw1-az${(s.zone.charCodeAt(s.zone.length - 1) - 96).toString()}`)}` +
          `${el('defaultForAz', false)}${el('mapPublicIpOnLaunch', false)}${tagSet(s.tags)}</item>`,
      );
      return `<subnetSet>${items.join('')}</subnetSet>`;
    },
  };

  /** The resources CreateTags / DeleteTags name, every one of which must exist. */
  function taggable(ids: string[]): { tags: Record<string, string> }[] {
    return ids.map((id) => {
      if (id.startsWith('i-')) {
        const inst = world.instances.get(id);
        if (!inst) throw new ServiceError(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
        return inst;
      }
      if (id.startsWith('subnet-')) {
        const s = world.subnets.get(id);
        if (!s) throw new ServiceError(400, 'InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
        return s;
      }
      throw new ServiceError(400, 'InvalidID', `The ID '${id}' is not valid`);
    });
  }

  standIn.register('ec2', {
    error: ec2Error,
    handle(req): AwsResponse {
      const handler = handlers[req.action];
      if (!handler) return ec2Error(400, 'InvalidAction', `The action ${req.action} is not valid for this web service.`, req.requestId);
      const p = new QueryParams(req.body);
      try {
        const dryRun = p.bool('DryRun');
        // Parameters are checked before permissions: a DryRun stop of a missing instance says it is missing.
        if (dryRun && (req.action === 'StopInstances' || req.action === 'StartInstances')) existing(requiredIds(p, 'InstanceId', 'InstanceId'));
        const tagKey = world.requiredTag(req.action);
        const untagged = tagKey === undefined ? undefined : p.list(req.action.endsWith('Tags') ? 'ResourceId' : 'InstanceId').find((id) => world.instances.get(id)?.tags[tagKey] === undefined);
        if (world.isDenied('ec2', req.action) || untagged !== undefined) {
          throw new ServiceError(
            403,
            'UnauthorizedOperation',
            `You are not authorized to perform this operation. User: arn:aws:iam::${world.accountId}:user/faultline is not authorized to perform: ec2:${req.action} because no identity-based policy allows the ec2:${req.action} action. Encoded authorization failure message: ${Buffer.from(`deny ec2:${req.action}`).toString('base64')}`,
          );
        }
        if (dryRun) throw new ServiceError(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
        return ec2Response(req.action, handler(p, req), req.requestId);
      } catch (err) {
        if (err instanceof ServiceError) return ec2Error(err.status, err.code, err.message, req.requestId);
        throw err;
      }
    },
  });
}
