/**
 * The EC2 and Auto Scaling state behind the AWS stand-in: instances, subnets and Auto Scaling groups,
 * what the role may not do, and every change made through the API, in order. The services in
 * ec2-service.ts and autoscaling-service.ts read and change it; tests seed it and assert on it.
 */

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export interface FakeInstance {
  id: string;
  type: string;
  zone: string;
  state: InstanceState;
  tags: Record<string, string>;
  ownerId: string;
  subnetId: string;
  vpcId: string;
  hibernation: boolean;
  launchTime: string;
}

export interface FakeAsg {
  name: string;
  instanceIds: string[];
  zones: string[];
  /** Suspended process names, in the order they were suspended. */
  suspended: string[];
  tags: Record<string, string>;
  /** Tag keys whose PropagateAtLaunch is true (CreateOrUpdateTags sets it; false when absent). */
  propagateAtLaunch: Record<string, boolean>;
  desired: number;
  min: number;
  max: number;
  /** When each suspended process was suspended (ISO), for SuspensionReason. */
  suspendedAt: Record<string, string>;
  createdTime: string;
}

export interface FakeSubnet {
  id: string;
  zone: string;
  vpcId: string;
  cidr: string;
  tags: Record<string, string>;
}

export interface WorldChange {
  at: number;
  /** The IAM name of the call that made it: `ec2:StopInstances`, `autoscaling:SuspendProcesses`, … */
  action: string;
  ids: string[];
  detail?: unknown;
}

/** The EC2 numeric state codes, as DescribeInstances reports them. */
export const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

/** Every Auto Scaling process SuspendProcesses knows. */
export const SCALING_PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;

/** Transitions under way: the state an instance moves to, and when (ms since the epoch). */
const settling = new WeakMap<FakeInstance, { to: InstanceState; at: number }>();

/**
 * An instance as a plain object whose `state` settles by itself: after StopInstances it reads
 * `stopping` until `transitionMs` have passed, then `stopped` (likewise pending → running).
 * `state` is an own enumerable accessor, so spreading, toEqual and JSON see it like any field;
 * assigning it directly cancels any transition under way.
 */
function makeInstance(p: FakeInstance): FakeInstance {
  let current = p.state;
  const inst = { ...p } as FakeInstance;
  Object.defineProperty(inst, 'state', {
    enumerable: true,
    configurable: false,
    get(): InstanceState {
      const s = settling.get(inst);
      if (s && Date.now() >= s.at) {
        current = s.to;
        settling.delete(inst);
      }
      return current;
    },
    set(v: InstanceState) {
      settling.delete(inst);
      current = v;
    },
  });
  return inst;
}

/** Real-looking ids: a prefix and 17 hex digits, from a counter (stable across a test). */
function hexId(prefix: string, n: number): string {
  return `${prefix}-${n.toString(16).padStart(17, '0')}`;
}

export class Ec2World {
  readonly instances = new Map<string, FakeInstance>();
  readonly asgs = new Map<string, FakeAsg>();
  readonly subnets = new Map<string, FakeSubnet>();
  /** Account id every instance reports as its reservation's OwnerId. */
  accountId = '123456789012';
  /** How long stopping→stopped and pending→running take, in ms of real time (0: the next describe shows the end state). */
  transitionMs = 0;
  /** Every state change and tag change in order, for assertions. */
  readonly changes: WorldChange[] = [];
  /** The VPC every default subnet belongs to. */
  readonly vpcId = 'vpc-0fa017111e0000001';
  private readonly denied = new Set<string>();
  /** EC2 actions allowed only on instances carrying a tag key (an IAM `Null: aws:ResourceTag/<key>: false` condition). */
  private readonly tagConditions = new Map<string, string>();
  private seq = 0x1000;
  private readonly defaultSubnets = new Map<string, string>();

  addInstance(p: { zone: string; tags?: Record<string, string>; type?: string; state?: InstanceState; id?: string; hibernation?: boolean; subnetId?: string }): FakeInstance {
    const id = p.id ?? hexId('i', ++this.seq);
    if (this.instances.has(id)) throw new Error(`instance ${id} exists already`);
    const subnet = this.subnetFor(p.zone, p.subnetId);
    const inst = makeInstance({
      id,
      type: p.type ?? 't3.micro',
      zone: p.zone,
      state: p.state ?? 'running',
      tags: { ...(p.tags ?? {}) },
      ownerId: this.accountId,
      subnetId: subnet.id,
      vpcId: subnet.vpcId,
      hibernation: p.hibernation ?? false,
      launchTime: new Date(Date.UTC(2026, 0, 1) + this.seq * 1000).toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    });
    this.instances.set(id, inst);
    return inst;
  }

  /** A subnet (DescribeSubnets, FIS targets); addInstance makes one default subnet per zone by itself. */
  addSubnet(p: { zone: string; tags?: Record<string, string>; id?: string; vpcId?: string; cidr?: string }): FakeSubnet {
    const id = p.id ?? hexId('subnet', ++this.seq);
    if (this.subnets.has(id)) throw new Error(`subnet ${id} exists already`);
    const n = this.subnets.size;
    const subnet: FakeSubnet = { id, zone: p.zone, vpcId: p.vpcId ?? this.vpcId, cidr: p.cidr ?? `10.0.${n % 256}.0/24`, tags: { ...(p.tags ?? {}) } };
    this.subnets.set(id, subnet);
    return subnet;
  }

  addAsg(p: { name: string; instanceIds: string[]; tags?: Record<string, string> }): FakeAsg {
    if (this.asgs.has(p.name)) throw new Error(`Auto Scaling group ${p.name} exists already`);
    const zones: string[] = [];
    for (const id of p.instanceIds) {
      const inst = this.instances.get(id);
      if (!inst) throw new Error(`no instance ${id} for Auto Scaling group ${p.name}`);
      if (!zones.includes(inst.zone)) zones.push(inst.zone);
    }
    const n = p.instanceIds.length;
    const asg: FakeAsg = {
      name: p.name,
      instanceIds: [...p.instanceIds],
      zones,
      suspended: [],
      suspendedAt: {},
      tags: { ...(p.tags ?? {}) },
      propagateAtLaunch: {},
      desired: n,
      min: n > 0 ? 1 : 0,
      max: Math.max(n * 2, 1),
      createdTime: '2026-01-01T00:00:00.000Z',
    };
    this.asgs.set(p.name, asg);
    return asg;
  }

  /** The group an instance belongs to, if any. */
  asgOf(instanceId: string): FakeAsg | undefined {
    for (const asg of this.asgs.values()) if (asg.instanceIds.includes(instanceId)) return asg;
    return undefined;
  }

  /**
   * Refuse these actions (real calls and DryRun) with UnauthorizedOperation (EC2) / AccessDenied (Auto
   * Scaling). Names as IAM spells them, `ec2:StopInstances`, or bare, `StopInstances` (any service).
   */
  deny(...actions: string[]): void {
    for (const a of actions) this.denied.add(a);
  }

  /** Takes back deny() and denyUntagged() for these actions, or for all when none are named. */
  allow(...actions: string[]): void {
    if (actions.length === 0) {
      this.denied.clear();
      this.tagConditions.clear();
    }
    for (const a of actions) {
      this.denied.delete(a);
      this.tagConditions.delete(a);
    }
  }

  /**
   * Refuse these EC2 actions (real calls and DryRun) on any instance without the tag `key`, as
   * deploy/aws-iam-policy.json conditions StartInstances and DeleteTags on `faultline:handle`.
   * Names as IAM spells them (`ec2:StartInstances`).
   */
  denyUntagged(key: string, ...actions: string[]): void {
    for (const a of actions) this.tagConditions.set(a, key);
  }

  /** The tag key an EC2 action requires on its instances, if a denyUntagged() rule names it. */
  requiredTag(action: string): string | undefined {
    return this.tagConditions.get(`ec2:${action}`) ?? this.tagConditions.get(action);
  }

  isDenied(service: string, action: string): boolean {
    return this.denied.has(action) || this.denied.has(`${service}:${action}`) || this.denied.has(`${service}:*`) || this.denied.has('*');
  }

  record(action: string, ids: string[], detail?: unknown): void {
    this.changes.push({ at: Date.now(), action, ids, ...(detail === undefined ? {} : { detail }) });
  }

  /** Starts the transition of an instance (used by the EC2 service). */
  transition(inst: FakeInstance, via: InstanceState, to: InstanceState): void {
    // An instance put into the map by hand has a plain `state`: it moves to the end state at once.
    if (!Object.getOwnPropertyDescriptor(inst, 'state')?.get) {
      inst.state = to;
      return;
    }
    inst.state = via;
    settling.set(inst, { to, at: Date.now() + this.transitionMs });
  }

  private subnetFor(zone: string, subnetId: string | undefined): FakeSubnet {
    if (subnetId) return this.subnets.get(subnetId) ?? this.addSubnet({ zone, id: subnetId });
    const known = this.defaultSubnets.get(zone);
    if (known) return this.subnets.get(known)!;
    const subnet = this.addSubnet({ zone });
    this.defaultSubnets.set(zone, subnet.id);
    return subnet;
  }
}
