/**
 * The `aws` target driver: one driver over several fault families (instances: ec2-stop and
 * zone-outage; FIS templates), each behind the AwsFaultFamily contract (fault-family.ts). A target
 * goes to the family that owns it, a fault to the family that offers its type, a handle to the
 * family of its fault type; listOwned is the union of every family's. Creating it contacts nothing.
 */
import { FaultlineError } from '../../../core/errors.js';
import type { AdapterDeps, DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import { createAwsClients, type AwsClientOverrides, type AwsClients } from './clients.js';
import type { AwsFamilyFactory } from './family-deps.js';
import type { AwsFaultFamily } from './fault-family.js';
import { createFisFamily } from './fis-family.js';
import { createInstanceFaults } from './faults-instances.js';
import { AWS_CONFIG_PATH, awsFaultSchema, awsTargetSchema, type AwsTargetConfig } from './schema.js';

/** Every family of the aws driver; a new family is one more entry here (and its schemas in schema.ts). */
export const AWS_FAMILIES: readonly AwsFamilyFactory[] = [createInstanceFaults, createFisFamily];

export interface AwsDriverOptions {
  /** Set on every SDK client (tests point them at a stand-in); production leaves them to the SDK's chain. */
  clientOverrides?: AwsClientOverrides;
  families?: readonly AwsFamilyFactory[];
}

export interface AwsDriver extends TargetDriver {
  readonly clients: AwsClients;
  readonly families: readonly AwsFaultFamily[];
}

export function createAwsDriver(config: AwsTargetConfig, deps: AdapterDeps, opts: AwsDriverOptions = {}): AwsDriver {
  const clients = createAwsClients(config, opts.clientOverrides);
  const families = (opts.families ?? AWS_FAMILIES).map((make) => make({ config, clients, log: deps.log, now: deps.now }));
  const faultTypes = families.flatMap((f) => f.faultTypes);

  const byTarget = (target: TargetSpec): AwsFaultFamily => {
    const family = families.find((f) => f.ownsTarget(target));
    if (!family) throw new FaultlineError('playbook_invalid', `no aws fault family takes this target (instances: selector of tags, optional zone and region)`);
    return family;
  };
  const byFault = (type: string, code: 'inject_failed' | 'revert_failed'): AwsFaultFamily => {
    const family = families.find((f) => f.faultTypes.includes(type));
    if (!family) throw new FaultlineError(code, `the aws adapter has no fault "${type}"; it offers ${faultTypes.join(', ')}`);
    return family;
  };

  return {
    kind: 'aws',
    faultTypes,
    schemas: { target: awsTargetSchema, fault: awsFaultSchema },
    clients,
    families,
    preview: (target: TargetSpec, ctx: DiscoverContext) => byTarget(target).preview(target, ctx),
    describeTarget: (target: TargetSpec, resolved: readonly ResolvedTarget[]) => byTarget(target).describeTarget(target, resolved),
    population: async (target: TargetSpec, ctx: DiscoverContext) => byTarget(target).population?.(target, ctx),
    impact: async (fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) => (await byFault(fault.type, 'inject_failed').impact?.(fault, targets, ctx)) ?? [],
    async checkAccess(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) {
      const family = byFault(fault.type, 'inject_failed');
      if (family.checkAccess) return family.checkAccess(fault, targets, ctx);
      return [{ what: `the calls of ${fault.type}`, allowed: null, reason: 'this fault family has no permission check' }];
    },
    inject: (fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) => byFault(fault.type, 'inject_failed').inject(fault, targets, ctx),
    revert: (handle: FaultHandle, ctx: DiscoverContext) => byFault(handle.faultType, 'revert_failed').revert(handle, ctx),
    confirmReverted: (handle: FaultHandle, ctx: DiscoverContext) => byFault(handle.faultType, 'revert_failed').confirmReverted(handle, ctx),
    async listOwned(ctx: DiscoverContext) {
      // Every family must answer: one that cannot read AWS fails the whole list rather than hide its faults.
      const lists = await Promise.all(families.map((f) => f.listOwned(ctx)));
      return lists.flat();
    },
    async close() {
      for (const f of families) await f.close?.();
      clients.destroy();
    },
  };
}

export { AWS_CONFIG_PATH };
