/**
 * The `kubernetes` target driver as registered: one cluster driver per kubeconfig context. An
 * experiment runs in the adapter's own context unless its playbook names another one it may use
 * (`target.cluster`, one of `clusters`); every target it resolves carries `attributes.cluster`, and
 * inject, revert and the revert receipt go to that cluster. listOwned looks in every cluster the
 * adapter may use, so reconcile finds what a crash left anywhere.
 */
import { FaultlineError } from '../../../core/errors.js';
import type { AdapterDeps, DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import { describeKubernetesTarget } from './describe-target.js';
import { createClusterDriver, type ClusterDriver } from './driver.js';
import { allowedClusters, clusterRefusal, kubernetesTargetSchemaFor, type KubernetesTargetConfig } from './schema.js';

const clusterOfHandle = (h: FaultHandle): string | undefined => {
  const c = (h.data as { cluster?: unknown } | undefined)?.cluster;
  return typeof c === 'string' && c !== '' ? c : undefined;
};

export function createKubernetesDriver(config: KubernetesTargetConfig, deps: AdapterDeps): TargetDriver {
  const home = createClusterDriver(config, deps);
  const others = new Map<string, ClusterDriver>();

  /** The home driver's context name, if its kubeconfig can be read (without one, nothing can be "home" by name). */
  const homeName = (): string | undefined => {
    if (config.context !== undefined) return config.context;
    try {
      return home.context();
    } catch {
      return undefined;
    }
  };

  function driverFor(cluster: string | undefined): ClusterDriver {
    if (cluster === undefined || cluster === homeName()) return home;
    let d = others.get(cluster);
    if (!d) {
      d = createClusterDriver({ ...config, context: cluster }, deps);
      others.set(cluster, d);
    }
    return d;
  }

  /** The cluster a plan's targets were found in (they are all in one). */
  function clusterOf(targets: readonly ResolvedTarget[]): string | undefined {
    const names = [...new Set(targets.map((t) => t.attributes.cluster).filter((c): c is string => c !== undefined))];
    if (names.length > 1) throw new FaultlineError('inject_failed', `the targets are in more than one cluster (${names.join(', ')}); one experiment runs in one cluster`, { clusters: names });
    return names[0];
  }

  function named(target: TargetSpec): string | undefined {
    const c = (target as { cluster?: unknown }).cluster;
    if (c === undefined) return undefined;
    if (typeof c !== 'string') throw new FaultlineError('playbook_invalid', 'target.cluster must be a kubeconfig context name');
    const why = clusterRefusal(c, config);
    if (why) throw new FaultlineError('playbook_invalid', `target.cluster: ${why}`, { cluster: c });
    return c;
  }

  const tag = (h: FaultHandle, cluster: string | undefined): FaultHandle => (cluster === undefined ? h : { ...h, data: { ...h.data, cluster } });

  return {
    kind: 'kubernetes',
    faultTypes: home.faultTypes,
    schemas: { target: kubernetesTargetSchemaFor(config), fault: home.schemas.fault },

    // async throughout: a refusal (a cluster it may not use, targets in two clusters) is a rejected promise, never a throw.
    preview: async (target: TargetSpec, ctx: DiscoverContext) => driverFor(named(target)).preview(target, ctx),
    describeTarget: (target: TargetSpec, resolved: readonly ResolvedTarget[]) => describeKubernetesTarget(target, resolved, config),
    population: async (target: TargetSpec, ctx: DiscoverContext) => driverFor(named(target)).population!(target, ctx),
    impact: async (fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) => driverFor(clusterOf(targets)).impact!(fault, targets, ctx),
    checkAccess: async (fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) => driverFor(clusterOf(targets)).checkAccess!(fault, targets, ctx),

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) {
      const cluster = clusterOf(targets);
      return tag(await driverFor(cluster).inject(fault, targets, ctx), cluster);
    },
    revert: async (handle: FaultHandle, ctx: DiscoverContext) => driverFor(clusterOfHandle(handle)).revert(handle, ctx),
    confirmReverted: async (handle: FaultHandle, ctx: DiscoverContext) => driverFor(clusterOfHandle(handle)).confirmReverted(handle, ctx),

    /** What every cluster the adapter may use still holds; a cluster that cannot be read fails the call (nothing is taken for reverted). */
    async listOwned(ctx: DiscoverContext) {
      const own = await home.listOwned(ctx);
      const mine = homeName();
      const rest = allowedClusters(config).filter((c) => c !== mine);
      const lists = await Promise.all(rest.map(async (c) => (await driverFor(c).listOwned(ctx)).map((h) => tag(h, c))));
      return [...own, ...lists.flat()];
    },

    async close() {
      await Promise.all([home, ...others.values()].map((d) => d.close?.()));
    },
  };
}
