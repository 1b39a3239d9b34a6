import type { SignalAdapter } from '../../../core/ports.js';
import { PrometheusSignalConfig } from './schema.js';
import { createPrometheusSource } from './source.js';

/** PromQL instant queries against PROMETHEUS_URL: error rates, latency quantiles, saturation, lag. */
export const prometheusSignalAdapter: SignalAdapter<PrometheusSignalConfig> = {
  kind: 'prometheus',
  configSchema: PrometheusSignalConfig,
  create: (config, deps) => createPrometheusSource(config, deps),
};

export { createPrometheusSource } from './source.js';
export { PrometheusSignalConfig, prometheusSignalSchema, type PrometheusSignalQuery } from './schema.js';
