import type { AdapterLogger } from '../src/core/ports.js';

/** A logger whose every line also carries `bindings` (the command, its actor and channel). */
export function withBindings(log: AdapterLogger, bindings: Record<string, unknown>): AdapterLogger {
  return {
    info: (obj, msg) => log.info({ ...bindings, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...bindings, ...obj }, msg),
    error: (obj, msg) => log.error({ ...bindings, ...obj }, msg),
    debug: (obj, msg) => log.debug({ ...bindings, ...obj }, msg),
  };
}
