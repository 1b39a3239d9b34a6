/**
 * node-drain and zone-outage: cordon each node (one merge patch that also marks it as ours), then
 * evict its pods through the Eviction API so PodDisruptionBudgets are honoured. An eviction a PDB
 * refuses (429) is reported — journaled, said in the thread as soon as the node is done, and in the
 * handle's `partial` — and not retried. DaemonSet and mirror pods stay, as with `kubectl drain
 * --ignore-daemonsets`; so do protected pods and, in opt-in mode, pods of namespaces that have not
 * opted in. Revert uncordons only what Faultline cordoned; evicted pods are rescheduled by their
 * controllers, not "un-evicted".
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { FaultlineError } from '../../../core/errors.js';
import { PARTIAL_NOTE, type PartialApplication } from '../../../core/ports.js';
import { classifyPods, optedInNamespaces, podId, podsOn, type LeaveReason } from './drain-plan.js';
import type { FaultDeps, FaultResult, FaultRun } from './fault-context.js';
import { describeKubeError, statusCauses, statusOf, type KubeClient } from './kube-client.js';
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
  refused: Array<{ pod: string; node: string; reason: string; budget?: string }>;
  failed: Array<{ pod: string; node: string; error: string }>;
  skipped: Array<{ pod: string; why: LeaveReason }>;
}

/** The budget a 429 names ("The disruption budget cart-pdb needs 2 healthy pods …"), if it names one. */
function budgetOf(err: unknown): string | undefined {
  for (const c of statusCauses(err)) {
    const m = /disruption budget (\S+)/i.exec(c.message ?? '');
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Why some pods of a drain stayed: "PodDisruptionBudget cart-pdb", "1 eviction failed (HTTP 500: …)". */
function whyNotEvicted(refused: EvictionReport['refused'], failed: EvictionReport['failed']): string {
  const parts: string[] = [];
  if (refused.length > 0) {
    const budgets = [...new Set(refused.map((r) => r.budget).filter((b): b is string => b !== undefined))].sort();
    parts.push(budgets.length === 0 ? 'a PodDisruptionBudget refused' : `PodDisruptionBudget${budgets.length > 1 ? 's' : ''} ${budgets.join(', ')}`);
  }
  if (failed.length > 0) parts.push(`${failed.length} eviction${failed.length > 1 ? 's' : ''} failed (${failed[0]!.error})`);
  return parts.join('; ');
}

/**
 * Evicts what a drain may evict from each node. What a PodDisruptionBudget refuses, or what fails,
 * stays: said through ctx.note as soon as each node is done (the engine posts it in the thread), and
 * in the result's `partial`.
 */
async function evictAll(run: FaultRun<unknown>, deps: FaultDeps, nodes: readonly string[]): Promise<EvictionReport & { partial?: PartialApplication }> {
  const { ctx } = run;
  const report: EvictionReport = { evicted: [], alreadyGone: [], refused: [], failed: [], skipped: [] };
  const grace = deps.config.evictionGracePeriodSeconds;
  const optedIn = await optedInNamespaces(deps.client, deps.config, ctx.signal);
  let intended = 0;
  for (const node of nodes) {
    const plan = classifyPods(node, await podsOn(deps.client, node, ctx.signal), deps.config, optedIn);
    report.skipped.push(...plan.leave.map(({ pod, why }) => ({ pod: podId(pod), why })));
    intended += plan.evict.length;
    ctx.note('node-drain-evict', {
      node,
      pods: plan.evict.map(podId),
      left: plan.leave.map(({ pod, why }) => ({ pod: podId(pod), why })),
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
    });
    const before = { refused: report.refused.length, failed: report.failed.length };
    await mapLimit(plan.evict, EVICT_CONCURRENCY, async (p: V1Pod) => {
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
          const budget = budgetOf(err);
          report.refused.push({ pod: podId(p), node, reason, ...(budget ? { budget } : {}) });
          ctx.note('eviction-refused', { pod: podId(p), node, reason, ...(budget ? { budget } : {}) });
        } else report.failed.push({ pod: podId(p), node, error: describeKubeError(err) });
      }
    });
    const refused = report.refused.slice(before.refused);
    const failed = report.failed.slice(before.failed);
    if (refused.length + failed.length > 0) {
      const here: PartialApplication = { applied: plan.evict.length - refused.length - failed.length, intended: plan.evict.length, unit: 'pods', action: 'evicted', reason: whyNotEvicted(refused, failed) };
      ctx.note(PARTIAL_NOTE, { ...here, where: `node ${node}` });
    }
  }
  report.evicted.sort();
  if (report.refused.length > 0) ctx.log.warn({ handleId: ctx.handleId, refused: report.refused.map((r) => r.pod) }, 'evictions refused by a PodDisruptionBudget');
  const missed = report.refused.length + report.failed.length;
  if (missed === 0) return report;
  return { ...report, partial: { applied: intended - missed, intended, unit: 'pods', action: 'evicted', reason: whyNotEvicted(report.refused, report.failed) } };
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
