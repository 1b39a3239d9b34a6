/**
 * node-drain and zone-outage: cordon each node (one merge patch that also marks it as ours), then
 * evict its pods through the Eviction API so PodDisruptionBudgets are honoured. An eviction a PDB
 * refuses (429) is reported — journaled and in the handle — and not retried. DaemonSet and mirror
 * pods stay, as with `kubectl drain --ignore-daemonsets`. Revert uncordons only what Faultline
 * cordoned; evicted pods are rescheduled by their controllers, not "un-evicted".
 */
import { isProtectedPod } from './ownership.js';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { FaultlineError } from '../../../core/errors.js';
import type { FaultDeps, FaultResult, FaultRun } from './fault-context.js';
import { describeKubeError, statusOf, type KubeClient } from './kube-client.js';
import { ANN_CORDONED, LABEL_HANDLE, ZONE_LABEL, ownerAnnotations, ownerLabels } from './ownership.js';
import { mapLimit, withRetry } from './retry.js';
import type { KubernetesFaultParams } from './schema.js';
import { targetId, type TargetRef } from './targets.js';

const EVICT_CONCURRENCY = 8;

function readNode(client: KubeClient, name: string, signal?: AbortSignal): Promise<V1Node> {
  return client.call(`get node/${name}`, (a, o) => a.core.readNode({ name }, o), { signal });
}

interface EvictionReport {
  evicted: string[];
  alreadyGone: string[];
  refused: Array<{ pod: string; node: string; reason: string }>;
  failed: Array<{ pod: string; node: string; error: string }>;
  skipped: Array<{ pod: string; why: 'daemonset' | 'mirror' | 'protected' }>;
}

const podId = (p: V1Pod) => `pod/${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

async function podsOn(client: KubeClient, node: string, signal?: AbortSignal): Promise<V1Pod[]> {
  return client.listAll<V1Pod>(`list pods on node/${node}`, (a, q, o) => a.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}`, ...q }, o), { signal });
}

async function evictAll(run: FaultRun<unknown>, deps: FaultDeps, nodes: readonly string[]): Promise<EvictionReport> {
  const { ctx } = run;
  const report: EvictionReport = { evicted: [], alreadyGone: [], refused: [], failed: [], skipped: [] };
  const grace = deps.config.evictionGracePeriodSeconds;
  for (const node of nodes) {
    const pods = (await podsOn(deps.client, node, ctx.signal)).filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const evictable: V1Pod[] = [];
    for (const p of pods) {
      if (p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) report.skipped.push({ pod: podId(p), why: 'daemonset' });
      else if (p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) report.skipped.push({ pod: podId(p), why: 'mirror' });
      else if (isProtectedPod(p, deps.config)) report.skipped.push({ pod: podId(p), why: 'protected' });
      else evictable.push(p);
    }
    ctx.note('node-drain-evict', { node, pods: evictable.map(podId), ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}) });
    await mapLimit(evictable, EVICT_CONCURRENCY, async (p) => {
      const name = p.metadata?.name ?? '';
      const namespace = p.metadata?.namespace ?? '';
      const body = {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name, namespace },
        ...(grace !== undefined ? { deleteOptions: { gracePeriodSeconds: grace } } : {}),
      };
      try {
        await deps.client.call(`evict ${podId(p)}`, (a, o) => a.core.createNamespacedPodEviction({ name, namespace, body }, o), { signal: ctx.signal });
        report.evicted.push(podId(p));
      } catch (err) {
        const code = statusOf(err);
        if (code === 404) report.alreadyGone.push(podId(p));
        else if (code === 429) {
          // A PodDisruptionBudget said no: that is a finding, not an error. Reported, not retried.
          const reason = describeKubeError(err);
          report.refused.push({ pod: podId(p), node, reason });
          ctx.note('eviction-refused', { pod: podId(p), node, reason });
        } else report.failed.push({ pod: podId(p), node, error: describeKubeError(err) });
      }
    });
  }
  report.evicted.sort();
  if (report.refused.length > 0) ctx.log.warn({ handleId: ctx.handleId, refused: report.refused.map((r) => r.pod) }, 'evictions refused by a PodDisruptionBudget');
  return report;
}

async function cordon(run: FaultRun<unknown>, deps: FaultDeps, ref: TargetRef, initial: V1Node): Promise<'cordoned' | 'was-cordoned'> {
  const { ctx } = run;
  let node = initial;
  return withRetry(`cordon node/${ref.name}`, deps.policy, deps.log, ctx.signal, async () => {
    if (node.metadata?.labels?.[LABEL_HANDLE] === ctx.handleId) return 'cordoned'; // an unanswered try went through
    if (node.spec?.unschedulable === true) return 'was-cordoned';
    const body = {
      metadata: {
        resourceVersion: node.metadata?.resourceVersion,
        labels: ownerLabels(ctx),
        annotations: ownerAnnotations(ctx, run.faultType, { [ANN_CORDONED]: 'true' }),
      },
      spec: { unschedulable: true },
    };
    try {
      await deps.client.call(`cordon node/${ref.name}`, (a, o) => a.core.patchNode({ name: ref.name, body }, o), { signal: ctx.signal, mergePatch: true });
    } catch (err) {
      if (statusOf(err) === 409) node = await readNode(deps.client, ref.name, ctx.signal);
      throw err;
    }
    return 'cordoned';
  });
}

export async function injectNodeDrain(run: FaultRun<KubernetesFaultParams['node-drain'] | KubernetesFaultParams['zone-outage']>, deps: FaultDeps): Promise<FaultResult> {
  const { ctx, refs, params } = run;
  const zone = 'zone' in params ? params.zone : undefined;
  const nodes = await Promise.all(refs.map(async (ref) => ({ ref, node: await readNode(deps.client, ref.name, ctx.signal) })));
  for (const { ref, node } of nodes) {
    const holder = node.metadata?.labels?.[LABEL_HANDLE];
    if (holder !== undefined && holder !== ctx.handleId) throw new FaultlineError('inject_failed', `${targetId(ref)} is already under fault ${holder}; revert that first`, { holder });
    const nodeZone = node.metadata?.labels?.[ZONE_LABEL];
    if (zone !== undefined && nodeZone !== zone) {
      throw new FaultlineError('inject_failed', `${targetId(ref)} is in zone ${nodeZone ?? '(none)'}, not ${zone}: a zone outage only drains nodes of its zone`, { node: ref.name, zone: nodeZone });
    }
  }
  ctx.note(run.faultType, {
    ...(zone !== undefined ? { zone } : {}),
    nodes: nodes.map(({ ref, node }) => ({ node: ref.name, wasCordoned: node.spec?.unschedulable === true })),
  });
  const cordoned: string[] = [];
  const wasCordoned: string[] = [];
  for (const { ref, node } of nodes) {
    const result = await cordon(run, deps, ref, node);
    if (result === 'cordoned') {
      run.applied.push({ kind: 'Node', name: ref.name });
      cordoned.push(ref.name);
    } else wasCordoned.push(ref.name);
  }
  ctx.log.info({ handleId: ctx.handleId, cordoned, wasCordoned }, 'nodes cordoned');
  const evictions = await evictAll(run, deps, refs.map((r) => r.name));
  return { ...(zone !== undefined ? { zone } : {}), cordoned, wasCordoned, ...evictions };
}
