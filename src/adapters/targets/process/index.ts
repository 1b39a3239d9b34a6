import type { TargetAdapter } from '../../../core/ports.js';
import { createProcessDriver } from './driver.js';
import { ProcessTargetConfig } from './schema.js';

/** Local processes behind the sandbox fault proxy: latency, http-error, blackhole and process-kill per replica. */
export const processTargetAdapter: TargetAdapter<ProcessTargetConfig> = {
  kind: 'process',
  configSchema: ProcessTargetConfig,
  create: (config, deps) => createProcessDriver(config, deps),
};

export { createProcessDriver } from './driver.js';
export {
  PROCESS_FAULT_TYPES,
  ProcessTargetConfig,
  processFaultSchema,
  processTargetSchema,
  type ProcessFault,
  type ProcessTarget,
  type ProcessTargetConfigInput,
} from './schema.js';
