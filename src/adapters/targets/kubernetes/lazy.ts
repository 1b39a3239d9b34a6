import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetAdapter, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import type { KubeConnection } from './connection.js';
import { describeKubernetesTarget } from './describe-target.js';
import { KUBERNETES_FAULT_TYPES, KubernetesTargetConfig, kubernetesFaultSchema, kubernetesTargetSchemaFor } from './schema.js';

/**
 * Whether a cluster is configured at all, looked up the way the client loads one (file, in-cluster
 * token, ~/.kube/config) but without loading the client library.
 */
export function clusterConfigured(conn: KubeConnection): boolean {
  if (conn.kubeconfig !== undefined) return true;
  if (existsSync(path.join(conn.serviceAccountDir, 'token'))) return true;
  return existsSync(path.join(conn.homeDir ?? homedir(), '.kube', 'config'));
}

/** A handle whose data names no object (pod-delete, or an inject that changed nothing); unreadable data is not "none". */
function holdsNoObjects(handle: FaultHandle): boolean {
  const objects = (handle.data as { objects?: unknown } | undefined)?.objects;
  return objects === undefined || (Array.isArray(objects) && objects.length === 0);
}

/**
 * The Kubernetes adapter as the app registers it: schemas at once, the client library (hundreds of
 * milliseconds and tens of MiB) only when a cluster is first used. A bot that only runs the sandbox
 * never loads it; reconcile does not either when no cluster is configured.
 */
export const lazyKubernetesTargetAdapter: TargetAdapter<KubernetesTargetConfig> = {
  kind: 'kubernetes',
  configSchema: KubernetesTargetConfig,
  create(config, deps): TargetDriver {
    let real: Promise<TargetDriver> | undefined;
    const load = () => (real ??= import('./cluster-router.js').then((m) => m.createKubernetesDriver(config, deps)));
    return {
      kind: 'kubernetes',
      faultTypes: KUBERNETES_FAULT_TYPES,
      schemas: { target: kubernetesTargetSchemaFor(config), fault: kubernetesFaultSchema },
      preview: async (target: TargetSpec, ctx: DiscoverContext) => (await load()).preview(target, ctx),
      describeTarget: (target: TargetSpec, resolved: readonly ResolvedTarget[]) => describeKubernetesTarget(target, resolved, config),
      population: async (target: TargetSpec, ctx: DiscoverContext) => (await load()).population?.(target, ctx),
      impact: async (fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) => (await load()).impact?.(fault, targets, ctx) ?? [],
      inject: async (fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) => (await load()).inject(fault, targets, ctx),
      revert: async (handle: FaultHandle, ctx: DiscoverContext) => (await load()).revert(handle, ctx),
      confirmReverted: async (handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> => {
        // Nothing loaded means no pod-delete loop can be running; a handle that changed no object is back as it was.
        if (!real && holdsNoObjects(handle)) return { confirmed: true, differences: [], manualSteps: [] };
        return (await load()).confirmReverted(handle, ctx);
      },
      listOwned: async (ctx: DiscoverContext) => (real || clusterConfigured(config) ? (await load()).listOwned(ctx) : []),
      close: async () => {
        if (real) await (await real).close?.();
      },
    };
  },
};
