/**
 * The FIS family as the aws driver builds it (`AwsFamilyFactory`): one createFisFaults per region,
 * built on first use with the adapter's client settings (credentials, endpoint, standard retries,
 * timeouts) and its EC2 client for subnet previews. A target goes to its region (`target.region`, else
 * the default); the allow-lists of regions and accounts are checked at preview and inject, never at
 * revert, listOwned or confirm, so a fault can always be taken out. listOwned looks in every owned region.
 */
import { FisClient } from '@aws-sdk/client-fis';
import { FaultlineError } from '../../../core/errors.js';
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, TargetContext, TargetSpec } from '../../../core/ports.js';
import { fisAccess } from './access-check.js';
import { checkAccount, checkAnyAccount, checkRegion } from './allow-list.js';
import type { AwsFamilyDeps } from './family-deps.js';
import type { AwsFaultFamily } from './fault-family.js';
import { createFisFaults, type FisFaults } from './faults-fis.js';
import { describeFisTargetSpec } from './fis-describe.js';
import { accountOfArn } from './fis-preview.js';
import { FIS_FAULT_TYPES, FisActionParams, fisResolvedTarget, isFisTarget } from './schema-fis.js';

export function createFisFamily(deps: AwsFamilyDeps): AwsFaultFamily & { close(): void } {
  const { config, clients } = deps;
  const byRegion = new Map<string, { family: FisFaults; fis: FisClient }>();

  function regional(region: string): FisFaults {
    let entry = byRegion.get(region);
    if (!entry) {
      const s = clients.settings(region);
      const fis = new FisClient({
        region: s.region,
        ...(s.credentials !== undefined ? { credentials: s.credentials } : {}),
        ...(s.endpoint !== undefined ? { endpoint: s.endpoint } : {}),
        retryMode: s.retryMode,
        maxAttempts: s.maxAttempts,
        requestHandler: s.requestHandler,
      });
      const family = createFisFaults({ fis, ec2: clients.ec2(region), region, log: deps.log, now: deps.now, pollMs: config.pollInterval, stopWaitMs: config.waitTimeout });
      byRegion.set(region, (entry = { family, fis }));
    }
    return entry.family;
  }

  async function regionOfTarget(target: TargetSpec): Promise<string> {
    const spec = fisResolvedTarget.safeParse(target);
    return (spec.success ? spec.data.region : undefined) ?? (await clients.defaultRegion());
  }

  const regionOfTargets = (targets: readonly ResolvedTarget[]) => {
    const region = targets[0]?.attributes.region;
    if (!region || targets.some((t) => t.attributes.region !== region)) throw new FaultlineError('inject_failed', 'FIS targets must all be in one region, and say which (attributes.region)');
    return region;
  };

  const regionOfHandle = (handle: FaultHandle) => {
    const region = (handle.data as { region?: unknown } | undefined)?.region;
    if (typeof region !== 'string' || !region) throw new FaultlineError('revert_failed', `handle ${handle.handleId} names no region`, { handleId: handle.handleId });
    return region;
  };

  /** The accounts a fault would act in: its role's (fis-action), its template's role and its resources' ARNs. */
  function accountsOf(fault: FaultSpec, targets: readonly ResolvedTarget[]): string[] {
    const out = new Set<string>();
    if (fault.type === 'fis-action') {
      const p = FisActionParams.safeParse(fault.parameters ?? {});
      const a = p.success ? accountOfArn(p.data.roleArn) : undefined;
      if (a) out.add(a);
    }
    for (const t of targets) for (const a of [t.attributes.account, accountOfArn(t.attributes.arn)]) if (a) out.add(a);
    return [...out];
  }

  async function checkAllowed(region: string, fault: FaultSpec | undefined, targets: readonly ResolvedTarget[]): Promise<void> {
    checkRegion(region, await clients.allowedRegions(), config);
    checkAnyAccount(config);
    for (const a of fault ? accountsOf(fault, targets) : targets.map((t) => t.attributes.account ?? accountOfArn(t.attributes.arn)).filter((x): x is string => !!x)) checkAccount(a, config);
  }

  return {
    faultTypes: FIS_FAULT_TYPES,
    ownsTarget: (target) => isFisTarget(target),

    async preview(target: TargetSpec, ctx: DiscoverContext) {
      const region = await regionOfTarget(target);
      checkRegion(region, await clients.allowedRegions(), config);
      checkAnyAccount(config);
      const found = await regional(region).preview({ ...target, region } as TargetSpec, ctx);
      await checkAllowed(region, undefined, found);
      return found;
    },

    describeTarget: (target: TargetSpec, resolved: readonly ResolvedTarget[]) => describeFisTargetSpec(target, resolved),

    async impact(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) {
      const region = regionOfTargets(targets);
      await checkAllowed(region, fault, targets);
      return (await regional(region).impact?.(fault, targets, ctx)) ?? [];
    },

    /** FIS has no DryRun: every call of the fault is listed as not checkable. */
    checkAccess: async (fault: FaultSpec, targets: readonly ResolvedTarget[]) => fisAccess(fault, targets),

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) {
      const region = regionOfTargets(targets);
      await checkAllowed(region, fault, targets);
      return regional(region).inject(fault, targets, ctx);
    },

    revert: (handle: FaultHandle, ctx: DiscoverContext) => regional(regionOfHandle(handle)).revert(handle, ctx),
    confirmReverted: (handle: FaultHandle, ctx: DiscoverContext) => regional(regionOfHandle(handle)).confirmReverted(handle, ctx),

    async listOwned(ctx: DiscoverContext) {
      const lists = await Promise.all((await clients.ownedRegions()).map((r) => regional(r).listOwned(ctx)));
      return lists.flat();
    },

    close() {
      for (const { family, fis } of byRegion.values()) {
        family.close();
        fis.destroy();
      }
      byRegion.clear();
    },
  };
}
