import type { AdapterLogger, TargetContext, TargetSpec } from '../../src/core/ports.js';
import { kubernetesFaultSchema, kubernetesTargetSchema } from '../../src/adapters/targets/kubernetes/index.js';

/** Shared by the Kubernetes adapter tests: playbook parts as the adapter's schemas parse them, and reading stand-in objects. */

/** A playbook's `target` for `adapter: kubernetes`. */
export const kubeTarget = (t: Record<string, unknown>) => kubernetesTargetSchema.parse({ adapter: 'kubernetes', ...t }) as unknown as TargetSpec;

/** A fault parser whose `duration` defaults to `duration`. */
export const kubeFault =
  (duration: string) =>
  (f: Record<string, unknown>) =>
    kubernetesFaultSchema.parse({ duration, ...f });

type Obj = Record<string, unknown> | undefined;
export const labelsOf = (o: Obj) => ((o?.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;
export const annotationsOf = (o: Obj) => ((o?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {}) as Record<string, string>;
export const specOf = (o: Obj) => (o?.spec ?? {}) as Record<string, unknown>;

export type NotingContext = TargetContext & { notes: Array<[string, Record<string, unknown>]> };

/** Fresh target contexts (`exp-<prefix>N`, `fh-<prefix>N`) that keep what the adapter notes; they expire `ttlMs` from now. */
export function notingContexts(prefix: string, ttlMs: number, log: AdapterLogger): (over?: Partial<TargetContext>) => NotingContext {
  let seq = 0;
  return (over = {}) => {
    seq += 1;
    const notes: Array<[string, Record<string, unknown>]> = [];
    return { experimentId: `exp-${prefix}${seq}`, handleId: `fh-${prefix}${seq}`, expiresAt: Date.now() + ttlMs, now: Date.now, log, note: (k, d) => notes.push([k, d]), notes, ...over };
  };
}
