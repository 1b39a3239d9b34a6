/**
 * The `pods` signal source: lists the pods a selector matches (paginated) and reads how many are
 * Ready or Running. It never throws: API errors, timeouts and a selector that matches nothing are
 * `unknown` readings with a reason, because unknown is unhealthy.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { SignalQuery } from '../../../core/playbook.js';
import type { AdapterDeps, Reading, SampleContext, SignalSource } from '../../../core/ports.js';
import { createKubeClient, describeKubeError, KubeTimeoutError, type KubeClient } from '../../targets/kubernetes/kube-client.js';
import { selectorText } from '../../targets/kubernetes/targets.js';
import { describePodsQuery, followTargetCluster, podsSignalSchema, type PodsSignalConfig, type PodsSignalQuery } from './schema.js';
import { errorText } from '../../../core/errors.js';

export const PODS_CONFIG_PATH = 'adapters.signals.pods';
export { describePodsQuery } from './schema.js';

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Pods that count: not on their way out and not finished (completed Job pods are not unhealthy). */
const counts = (p: V1Pod) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export function measurePods(pods: readonly V1Pod[], measure: PodsSignalQuery['measure']): number {
  const live = pods.filter(counts);
  const ready = live.filter(isReady).length;
  if (measure === 'ready-count') return ready;
  if (measure === 'running-count') return live.filter((p) => p.status?.phase === 'Running').length;
  return live.length === 0 ? 0 : ready / live.length;
}

export function createPodsSource(config: PodsSignalConfig, deps: AdapterDeps): SignalSource {
  const home = createKubeClient(config, PODS_CONFIG_PATH);
  // One client per kubeconfig context a query names (the experiment's cluster); the rest reads the adapter's.
  const byContext = new Map<string, KubeClient>();
  const clientFor = (cluster: string | undefined): KubeClient => {
    if (cluster === undefined || cluster === config.context) return home;
    let c = byContext.get(cluster);
    if (!c) {
      c = createKubeClient({ ...config, context: cluster }, PODS_CONFIG_PATH);
      byContext.set(cluster, c);
    }
    return c;
  };

  async function sample(query: SignalQuery, ctx: SampleContext): Promise<Reading> {
    const now = ctx.now ?? deps.now;
    const unknown = (reason: string): Reading => ({ status: 'unknown', reason, at: now() });
    const parsed = podsSignalSchema.safeParse(query);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return unknown(`invalid pods signal: ${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim());
    }
    const q = parsed.data;
    const what = describePodsQuery(q, config);
    const client = clientFor(q.cluster);
    const budget = ctx.timeoutMs > 0 ? AbortSignal.timeout(ctx.timeoutMs) : undefined;
    const signal = budget && ctx.signal ? AbortSignal.any([budget, ctx.signal]) : (budget ?? ctx.signal);
    let pods: V1Pod[];
    try {
      pods = await client.listAll<V1Pod>(`list pods in ${q.namespace}`, (a, page, o) => a.core.listNamespacedPod({ namespace: q.namespace, labelSelector: selectorText(q.selector), ...page }, o), {
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (budget?.aborted) return unknown(`${what}: no answer within ${ctx.timeoutMs} ms`);
      if (ctx.signal?.aborted) return unknown(`${what}: cancelled`);
      if (err instanceof KubeTimeoutError) return unknown(`${what}: ${err.message}`);
      return unknown(`${what}: ${describeKubeError(err)}`);
    }
    if (pods.filter(counts).length === 0) {
      return unknown(`no pods match ${selectorText(q.selector) ?? 'anything'} in namespace ${q.namespace}${pods.length > 0 ? ` (only ${pods.length} finished or terminating)` : ''}`);
    }
    return { status: 'ok', value: measurePods(pods, q.measure), at: now() };
  }

  return {
    kind: 'pods',
    schema: podsSignalSchema,
    async sample(query, ctx) {
      try {
        return await sample(query, ctx);
      } catch (err) {
        // Belt and braces: the port promises sample() never throws.
        return { status: 'unknown', reason: `pods signal failed: ${errorText(err)}`, at: (ctx.now ?? deps.now)() };
      }
    },
    describe(query) {
      const q = query as Partial<PodsSignalQuery>;
      return describePodsQuery({ namespace: String(q.namespace ?? '(no namespace)'), selector: q.selector ?? {}, measure: q.measure ?? 'ready-ratio', cluster: q.cluster }, config);
    },
    followTarget: (query, target) => followTargetCluster(query as PodsSignalQuery, target, config) as SignalQuery,
  };
}
