import type { SignalQuery } from '../../../core/playbook.js';
import type { SampleContext, SignalAdapter, SignalSource } from '../../../core/ports.js';
import { PodsSignalConfig, podsSignalSchema, type PodsSignalQuery } from './schema.js';

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
        const p = q as PodsSignalQuery;
        const sel = Object.entries(p.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
        return `pods ${p.measure} in ${p.namespace}${sel ? ` (${sel})` : ''}`;
      },
      sample: async (q: SignalQuery, ctx: SampleContext) => (await load()).sample(q, ctx),
    };
  },
};
