import type { SignalQuery } from '../../../core/playbook.js';
import type { SampleContext, SignalAdapter, SignalSource } from '../../../core/ports.js';
import { describePodsQuery, followTargetCluster, PodsSignalConfig, podsSignalSchema, type PodsSignalQuery } from './schema.js';

/** The pods signal as the app registers it: the Kubernetes client loads on the first sample. */
export const lazyPodsSignalAdapter: SignalAdapter<PodsSignalConfig> = {
  kind: 'pods',
  configSchema: PodsSignalConfig,
  create(config, deps): SignalSource {
    let real: Promise<SignalSource> | undefined;
    const load = () => (real ??= import('./source.js').then((m) => m.createPodsSource(config, deps)));
    return {
      kind: 'pods',
      schema: podsSignalSchema,
      describe: (q: SignalQuery) => {
        const p = q as Partial<PodsSignalQuery>;
        return describePodsQuery({ namespace: String(p.namespace ?? '(no namespace)'), selector: p.selector ?? {}, measure: p.measure ?? 'ready-ratio', cluster: p.cluster }, config);
      },
      followTarget: (q, target) => followTargetCluster(q as PodsSignalQuery, target, config) as SignalQuery,
      sample: async (q: SignalQuery, ctx: SampleContext) => (await load()).sample(q, ctx),
    };
  },
};
