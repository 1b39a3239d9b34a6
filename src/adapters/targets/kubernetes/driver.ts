/**
 * The `kubernetes` target driver for one cluster (one kubeconfig context; cluster-router.ts picks
 * one per experiment). Creating it reads nothing and contacts nothing; the kubeconfig is loaded on
 * the first call. Every object it creates or changes carries `faultline.dev/experiment`,
 * `faultline.dev/handle` and `faultline.dev/expires-at`, plus what revert needs, so a revert works
 * from the journal's handle or from the cluster alone (listOwned) after a crash.
 */
import { FaultlineError, isFaultlineError, wrapError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AccessCheck, AdapterDeps, DiscoverContext, FaultHandle, FaultSpec, PartialApplication, ResolvedTarget, RevertReceipt, TargetContext, TargetDriver, TargetSpec } from '../../../core/ports.js';
import { checkKubeAccess } from './access-check.js';
import { accessNeeds } from './access-table.js';
import { previewDrain } from './drain-plan.js';
import { confirmObjects } from './confirm.js';
import type { FaultDeps, FaultRun } from './fault-context.js';
import { injectChaosMesh } from './faults-chaos-mesh.js';
import { injectNetworkFault } from './faults-network.js';
import { injectNodeDrain } from './faults-nodes.js';
import { PodKillers, injectPodDelete } from './faults-pods.js';
import { injectScaleDown } from './faults-workloads.js';
import { createKubeClient, describeKubeError, noKubeconfigMessage } from './kube-client.js';
import { listOwnedHandles } from './list-owned.js';
import { KubeHandleData, assertLabelValue, objectRef, type OwnedObject } from './ownership.js';
import { revertObjects } from './revert.js';
import {
  FAULT_TARGET_KIND,
  KUBERNETES_FAULT_PARAMS,
  KUBERNETES_FAULT_TYPES,
  kubernetesFaultSchema,
  kubernetesTargetSchema,
  resolvedTargetSchema,
  type KubernetesFaultParams,
  type KubernetesFaultType,
  type KubernetesTargetConfig,
} from './schema.js';
import { parseTargetId, previewTargets, type TargetRef } from './targets.js';
import type { V1Node } from '@kubernetes/client-node';

export const KUBERNETES_CONFIG_PATH = 'adapters.targets.kubernetes';

const isFaultType = (t: string): t is KubernetesFaultType => (KUBERNETES_FAULT_TYPES as readonly string[]).includes(t);

function refsFor(faultType: KubernetesFaultType, targets: readonly ResolvedTarget[]): TargetRef[] {
  const want = FAULT_TARGET_KIND[faultType];
  return targets.map((t) => {
    const ref = parseTargetId(t.id);
    if (!ref) throw new FaultlineError('inject_failed', `${t.id} is not a kubernetes target id`, { target: t.id });
    const kind = ref.kind === 'deployment' || ref.kind === 'statefulset' ? 'workload' : ref.kind;
    if (kind !== want) {
      const how = { pod: 'a pod target (namespace + selector)', workload: 'a workload target (kind + name or selector)', node: 'a node target (nodeSelector or zone)' }[want];
      throw new FaultlineError('inject_failed', `${faultType} works on ${want}s, but ${t.id} is a ${ref.kind}: give the playbook ${how}`, { target: t.id });
    }
    return ref;
  });
}

/** One cluster's driver, and the name of the kubeconfig context it uses (loading the kubeconfig). */
export interface ClusterDriver extends TargetDriver {
  context(): string;
}

const isNodeTarget = (t: { nodeSelector?: unknown; zone?: unknown }) => t.nodeSelector !== undefined || t.zone !== undefined;

export function createClusterDriver(config: KubernetesTargetConfig, deps: AdapterDeps): ClusterDriver {
  const client = createKubeClient(config, KUBERNETES_CONFIG_PATH);
  const policy = { attempts: config.revertAttempts, backoffMs: config.revertBackoff };
  const faultDeps: FaultDeps = { client, config, policy, log: deps.log, now: deps.now };
  const killers = new PodKillers(client, deps.log, deps.now, config);

  async function runFault(type: KubernetesFaultType, run: FaultRun<unknown>): Promise<Record<string, unknown>> {
    switch (type) {
      case 'pod-delete':
        return injectPodDelete(run as FaultRun<KubernetesFaultParams['pod-delete']>, faultDeps, killers);
      case 'scale-down':
        return injectScaleDown(run as FaultRun<KubernetesFaultParams['scale-down']>, faultDeps);
      case 'node-drain':
      case 'zone-outage':
        return injectNodeDrain(run as FaultRun<KubernetesFaultParams['node-drain']>, faultDeps);
      case 'network-partition':
      case 'dependency-down':
      case 'dns-outage':
        return injectNetworkFault(run as FaultRun<KubernetesFaultParams['dns-outage']>, faultDeps);
      case 'chaos-mesh':
        return injectChaosMesh(run as FaultRun<KubernetesFaultParams['chaos-mesh']>, faultDeps);
    }
  }

  const asAdapterError = (what: string, err: unknown) =>
    isFaultlineError(err) ? err : new FaultlineError('adapter_error', `${what}: ${describeKubeError(err)}`, {}, { cause: err });

  return {
    kind: 'kubernetes',
    faultTypes: KUBERNETES_FAULT_TYPES,
    schemas: { target: kubernetesTargetSchema, fault: kubernetesFaultSchema },

    context: () => client.apis().context,

    /** Every target carries the cluster it was found in (`attributes.cluster`, the context's name). */
    async preview(target: TargetSpec, ctx: DiscoverContext) {
      const spec = resolvedTargetSchema.safeParse(target);
      if (!spec.success) throw new FaultlineError('playbook_invalid', `invalid kubernetes target:\n${formatIssues(spec.error.issues, ['target'])}`);
      try {
        const found = await previewTargets(spec.data, { client, config }, ctx.signal);
        const cluster = client.apis().context;
        return found.map((t) => ({ ...t, attributes: { ...t.attributes, cluster } }));
      } catch (err) {
        throw asAdapterError('could not list kubernetes targets', err);
      }
    },

    /** Node faults are measured against every node of the cluster: a zone is its share of the cluster, not all of itself. */
    async population(target: TargetSpec, ctx: DiscoverContext) {
      const spec = resolvedTargetSchema.safeParse(target);
      if (!spec.success || !isNodeTarget(spec.data)) return undefined;
      try {
        return (await client.listAll<V1Node>('list nodes', (a, q, o) => a.core.listNode({ ...q }, o), { signal: ctx.signal })).length;
      } catch (err) {
        throw asAdapterError('could not count the nodes of the cluster', err);
      }
    },

    /** A drain's pods, per node and namespace: what it would evict and what it leaves. */
    async impact(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext) {
      if (fault.type !== 'node-drain' && fault.type !== 'zone-outage') return [];
      const nodes = targets.map((t) => parseTargetId(t.id)).filter((r): r is TargetRef => r?.kind === 'node').map((r) => r.name);
      try {
        return await previewDrain(client, config, nodes, ctx.signal);
      } catch (err) {
        throw asAdapterError('could not list the pods a drain would evict', err);
      }
    },

    /** One SelfSubjectAccessReview per permission the fault's inject, revert and receipt need (access-table.ts). */
    async checkAccess(fault: FaultSpec, targets: readonly ResolvedTarget[], ctx: DiscoverContext): Promise<AccessCheck[]> {
      if (!isFaultType(fault.type)) throw new FaultlineError('playbook_invalid', `the kubernetes adapter has no fault "${fault.type}"; it offers ${KUBERNETES_FAULT_TYPES.join(', ')}`);
      const params = KUBERNETES_FAULT_PARAMS[fault.type].safeParse(fault.parameters ?? {});
      if (!params.success) throw new FaultlineError('playbook_invalid', `invalid ${fault.type} parameters:\n${formatIssues(params.error.issues, ['fault', 'parameters'])}`);
      const refs = targets.map((t) => parseTargetId(t.id)).filter((r): r is TargetRef => r !== undefined);
      try {
        return await checkKubeAccess(client, accessNeeds(fault.type, params.data, refs, config), ctx.signal);
      } catch (err) {
        throw asAdapterError('could not check permissions', err);
      }
    },

    async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext) {
      if (!isFaultType(fault.type)) {
        throw new FaultlineError('inject_failed', `the kubernetes adapter has no fault "${fault.type}"; it offers ${KUBERNETES_FAULT_TYPES.join(', ')}`);
      }
      const type = fault.type;
      const params = KUBERNETES_FAULT_PARAMS[type].safeParse(fault.parameters ?? {});
      if (!params.success) throw new FaultlineError('inject_failed', `invalid ${type} parameters:\n${formatIssues(params.error.issues, ['fault', 'parameters'])}`);
      if (targets.length === 0) throw new FaultlineError('no_targets', 'nothing to inject into: no targets were selected');
      for (const v of [ctx.experimentId, ctx.handleId]) {
        if (!assertLabelValue(v)) throw new FaultlineError('inject_failed', `"${v}" cannot be a Kubernetes label value`);
      }
      const run: FaultRun<unknown> = { faultType: type, params: params.data, targets, refs: refsFor(type, targets), ctx, applied: [] };
      let facts: Record<string, unknown>;
      try {
        facts = await runFault(type, run);
      } catch (err) {
        await rollback(ctx, run.applied);
        throw isFaultlineError(err) && err.code !== 'adapter_error' ? err : new FaultlineError('inject_failed', `${type} failed: ${err instanceof FaultlineError ? err.message : describeKubeError(err)}`, {}, { cause: err });
      }
      const { partial, ...rest } = facts as { partial?: PartialApplication };
      const data: KubeHandleData & Record<string, unknown> = { ...rest, objects: run.applied };
      deps.log.info({ experimentId: ctx.experimentId, handleId: ctx.handleId, fault: type, objects: run.applied.map(objectRef), ...(partial ? { partial } : {}) }, 'kubernetes fault injected');
      return {
        handleId: ctx.handleId,
        experimentId: ctx.experimentId,
        adapter: 'kubernetes',
        faultType: type,
        targets,
        appliedAt: ctx.now(),
        expiresAt: ctx.expiresAt,
        data,
        ...(partial ? { partial } : {}),
      } satisfies FaultHandle;
    },

    async revert(handle: FaultHandle, ctx: DiscoverContext) {
      const stopped = await killers.stop(handle.handleId);
      if (stopped) ctx.log.info({ handleId: handle.handleId }, 'pod-delete interval stopped');
      const data = KubeHandleData.safeParse(handle.data ?? {});
      if (!data.success) throw new FaultlineError('revert_failed', `handle ${handle.handleId} has unreadable data: ${formatIssues(data.error.issues, ['data'])}`);
      if (data.data.objects.length === 0) return;
      try {
        await revertObjects(handle, data.data.objects, { client, policy, log: ctx.log }, ctx.signal);
      } catch (err) {
        throw wrapError('revert_failed', `could not revert ${handle.handleId}`, err, { handleId: handle.handleId });
      }
    },

    async confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt> {
      const data = KubeHandleData.safeParse(handle.data ?? {});
      if (!data.success) {
        return {
          confirmed: false,
          differences: [`handle ${handle.handleId} has unreadable data (${formatIssues(data.error.issues, ['data'])}), so what it changed cannot be read back`],
          manualSteps: [`kubectl get deploy,sts,pods,networkpolicies,nodes -A -l faultline.dev/handle=${handle.handleId}`],
        };
      }
      const receipt = await confirmObjects(handle.handleId, data.data.objects, { client, policy, log: ctx.log }, ctx.signal);
      if (killers.running().includes(handle.handleId)) {
        // An interval pod-delete changes no object, but its loop must have stopped.
        receipt.confirmed = false;
        receipt.differences.push(`pod-delete interval of ${handle.handleId} is still running`);
        receipt.manualSteps.push(`/chaos halt, then restart the bot (the pod-delete loop ends with its process)`);
      }
      return receipt;
    },

    async listOwned(ctx: DiscoverContext) {
      try {
        return await listOwnedHandles(client, ctx.log, { signal: ctx.signal });
      } catch (err) {
        // No cluster configured at all (sandbox-only installs): nothing in a cluster can be ours.
        if (isFaultlineError(err, 'adapter_error') && err.message.startsWith(noKubeconfigMessage(KUBERNETES_CONFIG_PATH)) && config.kubeconfig === undefined) {
          ctx.log.debug({}, 'no kubeconfig; no kubernetes faults to list');
          return [];
        }
        throw isFaultlineError(err) ? err : new FaultlineError('adapter_error', `could not list faults in the cluster: ${describeKubeError(err)}`, {}, { cause: err });
      }
    },

    async close() {
      await killers.stopAll();
    },
  };

  /** Undoes what a failed inject changed so far; what it cannot undo is still found by listOwned. */
  async function rollback(ctx: TargetContext, applied: OwnedObject[]): Promise<void> {
    if (applied.length === 0) return;
    try {
      await revertObjects({ handleId: ctx.handleId, faultType: 'rollback', expiresAt: ctx.expiresAt }, applied, { client, policy, log: ctx.log });
      ctx.log.warn({ handleId: ctx.handleId, objects: applied.map(objectRef) }, 'inject failed; what it had changed is reverted');
    } catch (err) {
      ctx.log.error({ handleId: ctx.handleId, err }, 'inject failed and its rollback failed; reconcile will find the labelled objects');
    }
  }
}
