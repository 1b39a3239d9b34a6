import type { SignalAdapter } from '../../../core/ports.js';
import { PodsSignalConfig } from './schema.js';
import { createPodsSource } from './source.js';

/** Pod health in a Kubernetes namespace: share or count of Ready pods, or count of Running pods. */
export const podsSignalAdapter: SignalAdapter<PodsSignalConfig> = {
  kind: 'pods',
  configSchema: PodsSignalConfig,
  create: (config, deps) => createPodsSource(config, deps),
};

export { createPodsSource, describePodsQuery, measurePods, PODS_CONFIG_PATH } from './source.js';
export { PodsSignalConfig, podsSignalSchema, type PodsSignalConfigInput, type PodsSignalQuery, type PodsSignalQueryInput } from './schema.js';
