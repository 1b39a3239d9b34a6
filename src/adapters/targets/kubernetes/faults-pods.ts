/**
 * pod-delete: deletes the chosen pods; with `interval`, keeps deleting as many of their successors
 * (same namespace, same controller, the labels the chosen pods share) until revert or expiry. The
 * choice is seeded from the handle id and journaled through ctx.note, so it can be explained.
 */
import { isProtectedPod } from './ownership.js';
import type { V1Pod } from '@kubernetes/client-node';
import { seededRandom } from '../../../core/blast-radius.js';
import { FaultlineError } from '../../../core/errors.js';
import type { AdapterLogger, ResolvedTarget, TargetContext } from '../../../core/ports.js';
import { byNamespace, type FaultDeps, type FaultResult, type FaultRun } from './fault-context.js';
import { describeKubeError, statusOf, type KubeClient } from './kube-client.js';
import { mapLimit } from './retry.js';
import type { KubernetesFaultParams } from './schema.js';
import { selectorText, targetId, type TargetRef } from './targets.js';

/** Deletes that run at once (100 pods take a few round trips, not 100). */
const DELETE_CONCURRENCY = 16;

export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface DeleteReport {
  deleted: string[];
  alreadyGone: string[];
  failed: Array<{ pod: string; error: string }>;
}

async function deletePods(client: KubeClient, refs: readonly TargetRef[], gracePeriodSeconds: number | undefined, signal?: AbortSignal): Promise<DeleteReport> {
  const report: DeleteReport = { deleted: [], alreadyGone: [], failed: [] };
  await mapLimit(refs, DELETE_CONCURRENCY, async (r) => {
    const id = targetId(r);
    const namespace = r.namespace ?? '';
    try {
      await client.call(`delete ${id}`, (a, o) => a.core.deleteNamespacedPod({ name: r.name, namespace, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds } : {}) }, o), { signal });
      report.deleted.push(id);
    } catch (err) {
      if (statusOf(err) === 404) report.alreadyGone.push(id);
      else report.failed.push({ pod: id, error: describeKubeError(err) });
    }
  });
  report.deleted.sort();
  return report;
}

/** Where the successors of the chosen pods are looked for on each tick. */
interface KillPool {
  namespace: string;
  labelSelector?: string;
  owners: string[];
  names: string[];
  count: number;
}

function poolsFor(targets: readonly ResolvedTarget[], refs: readonly TargetRef[]): KillPool[] {
  const byId = new Map(targets.map((t) => [t.id, t]));
  return [...byNamespace(refs)].map(([namespace, group]) => {
    const ts = group.map((r) => byId.get(targetId(r))).filter((t): t is ResolvedTarget => t !== undefined);
    const labelSets = ts.map((t) => Object.fromEntries(Object.entries(t.attributes).filter(([k]) => k.startsWith('label.')).map(([k, v]) => [k.slice(6), v])));
    const first = labelSets[0] ?? {};
    const shared = Object.fromEntries(Object.entries(first).filter(([k, v]) => labelSets.every((l) => l[k] === v)));
    const owners = [...new Set(ts.map((t) => t.attributes.owner).filter((o): o is string => o !== undefined))].sort();
    const names = ts.filter((t) => t.attributes.owner === undefined).map((t) => t.name);
    return { namespace, labelSelector: selectorText(shared), owners, names, count: group.length };
  });
}

function ownerOf(pod: V1Pod): string | undefined {
  const o = pod.metadata?.ownerReferences?.find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  return o ? `${o.kind}/${o.name}` : undefined;
}

interface Loop {
  timer?: NodeJS.Timeout;
  stopped: boolean;
  /** The tick in progress, so a revert can wait for its deletes to finish before it reports. */
  inflight?: Promise<void>;
}

/** The interval loops of running pod-delete faults, owned by one driver and stopped by revert or close. */
export class PodKillers {
  private readonly loops = new Map<string, Loop>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: AdapterLogger,
    private readonly now: () => number,
    private readonly protection: { protectedNamespaces: readonly string[]; protectedLabels: readonly string[] } = { protectedNamespaces: [], protectedLabels: [] },
  ) {}

  start(ctx: TargetContext, pools: KillPool[], intervalMs: number, gracePeriodSeconds: number | undefined, seed: number): void {
    const loop: Loop = { stopped: false };
    this.loops.set(ctx.handleId, loop);
    const rand = seededRandom(seed);
    let tick = 0;
    const schedule = () => {
      if (loop.stopped) return;
      loop.timer = setTimeout(() => {
        loop.inflight = run().finally(() => (loop.inflight = undefined));
      }, intervalMs);
      loop.timer.unref();
    };
    const run = async () => {
      if (loop.stopped) return;
      if (this.now() >= ctx.expiresAt) {
        loop.stopped = true;
        this.loops.delete(ctx.handleId);
        this.log.info({ handleId: ctx.handleId, ticks: tick }, 'pod-delete interval reached expiry; stopped');
        return;
      }
      tick += 1;
      for (const pool of pools) {
        try {
          const pods = await this.client.listAll<V1Pod>(`list pods in ${pool.namespace}`, (a, q, o) => a.core.listNamespacedPod({ namespace: pool.namespace, labelSelector: pool.labelSelector, ...q }, o));
          const live = pods
            .filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
            .filter((p) => !isProtectedPod(p, this.protection))
            .filter((p) => {
              const owner = ownerOf(p);
              return owner !== undefined ? pool.owners.includes(owner) : pool.names.includes(p.metadata?.name ?? '');
            })
            .map((p) => ({ kind: 'pod' as const, namespace: pool.namespace, name: p.metadata?.name ?? '' }))
            .sort((a, b) => a.name.localeCompare(b.name));
          const chosen: TargetRef[] = [];
          while (chosen.length < pool.count && live.length > 0) chosen.push(...live.splice(Math.floor(rand() * live.length), 1));
          if (loop.stopped) return;
          ctx.note('pod-delete-tick', { tick, seed, namespace: pool.namespace, chosen: chosen.map(targetId) });
          const report = await deletePods(this.client, chosen, gracePeriodSeconds);
          this.log.info({ handleId: ctx.handleId, tick, deleted: report.deleted, failed: report.failed }, 'pod-delete interval tick');
        } catch (err) {
          this.log.warn({ handleId: ctx.handleId, tick, namespace: pool.namespace, err: describeKubeError(err) }, 'pod-delete interval tick failed');
        }
      }
      schedule();
    };
    schedule();
  }

  /** Stops a loop and waits for a tick in progress; true when one was running. */
  async stop(handleId: string): Promise<boolean> {
    const loop = this.loops.get(handleId);
    if (!loop) return false;
    loop.stopped = true;
    clearTimeout(loop.timer);
    this.loops.delete(handleId);
    // The loop's own round logs its failures; stopping only waits for it to end.
    await loop.inflight?.catch(() => undefined);
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.loops.keys()].map((id) => this.stop(id)));
  }

  running(): string[] {
    return [...this.loops.keys()];
  }
}

export async function injectPodDelete(run: FaultRun<KubernetesFaultParams['pod-delete']>, deps: FaultDeps, killers: PodKillers): Promise<FaultResult> {
  const { params, ctx, refs } = run;
  const seed = seedOf(ctx.handleId);
  ctx.note('pod-delete', {
    pods: refs.map(targetId),
    ...(params.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: params.gracePeriodSeconds } : {}),
    ...(params.interval !== undefined ? { intervalMs: params.interval, seed } : {}),
  });
  const report = await deletePods(deps.client, refs, params.gracePeriodSeconds, ctx.signal);
  if (report.deleted.length === 0 && report.alreadyGone.length === 0) {
    throw new FaultlineError('inject_failed', `could not delete any pod: ${report.failed.map((f) => `${f.pod}: ${f.error}`).join('; ')}`, { failed: report.failed });
  }
  if (report.failed.length > 0) ctx.log.warn({ handleId: ctx.handleId, failed: report.failed }, 'some pods could not be deleted');
  if (params.interval !== undefined) killers.start(ctx, poolsFor(run.targets, refs), params.interval, params.gracePeriodSeconds, seed);
  return { ...report, ...(params.interval !== undefined ? { intervalMs: params.interval, seed } : {}) };
}
