/**
 * The aws adapter as the app registers it: schemas and the card's description at once, the AWS SDK
 * (several MiB of clients) only when AWS is first used. A bot that only runs the sandbox never loads
 * it; reconcile does not either while no account is allowed (`accounts` empty: nothing can have
 * been injected by this configuration).
 */
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetAdapter, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import { describeInstanceTarget } from './describe-target.js';
import { describeFisTargetSpec } from './fis-describe.js';
import { isFisTarget } from './schema-fis.js';
import { AWS_FAULT_TYPES, AwsTargetConfig, awsFaultSchema, awsTargetSchema } from './schema.js';

export const lazyAwsTargetAdapter: TargetAdapter<AwsTargetConfig> = {
  kind: 'aws',
  configSchema: AwsTargetConfig,
  create(config, deps): TargetDriver {
    let real: Promise<TargetDriver> | undefined;
    const load = () => (real ??= import('./driver.js').then((m) => m.createAwsDriver(config, deps)));
    return {
      kind: 'aws',
      faultTypes: AWS_FAULT_TYPES,
      schemas: { target: awsTargetSchema, fault: awsFaultSchema },
      preview: async (target: TargetSpec, ctx: DiscoverContext) => (await load()).preview(target, ctx),
      // Pure for either family, so the card and the history need no SDK.
      describeTarget: (target: TargetSpec, resolved: readonly ResolvedTarget[]) => (isFisTarget(target) ? describeFisTargetSpec : describeInstanceTarget)(target, resolved),
      population: async (target: TargetSpec, ctx: DiscoverContext) => (await load()).population?.(target, ctx),
      impact: async (fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) => (await load()).impact?.(fault, targets, ctx) ?? [],
      inject: async (fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) => (await load()).inject(fault, targets, ctx),
      revert: async (handle: FaultHandle, ctx: DiscoverContext) => (await load()).revert(handle, ctx),
      confirmReverted: async (handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> => (await load()).confirmReverted(handle, ctx),
      listOwned: async (ctx: DiscoverContext) => (real || config.accounts.length > 0 ? (await load()).listOwned(ctx) : []),
      close: async () => {
        if (real) await (await real).close?.();
      },
    };
  },
};
