import type { SignalAdapter } from '../../../core/ports.js';
import { HttpSignalConfig } from './schema.js';
import { createHttpSource } from './source.js';

/** HTTP probes: a JSON number, a status code or a call's latency, read with one GET per sample. */
export const httpSignalAdapter: SignalAdapter<HttpSignalConfig> = {
  kind: 'http',
  configSchema: HttpSignalConfig,
  create: (config, deps) => createHttpSource(config, deps),
};

export { createHttpSource, describeHttpQuery, displayUrl, readPath } from './source.js';
export { HttpSignalConfig, httpSignalSchema, type HttpSignalQuery, type HttpSignalQueryInput } from './schema.js';
