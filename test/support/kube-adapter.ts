import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { AdapterLogger, TargetContext, TargetDriver, TargetSpec } from '../../src/core/ports.js';
import { kubernetesFaultSchema, kubernetesTargetAdapter, kubernetesTargetSchema, type KubernetesTargetConfigInput } from '../../src/adapters/targets/kubernetes/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';

/** Shared by the Kubernetes adapter tests: the stand-in per file, playbook parts as the adapter's schemas parse them, and reading stand-in objects. */

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

export interface KubeStandInFile {
  /** The stand-in, started before the file's first test (read it inside hooks and tests, not at load time). */
  readonly api: KubeApiStandIn;
  readonly dir: string;
  readonly kubeconfig: string;
  /** A driver on the stand-in with the file's defaults under `over`; closed after each test. */
  driver(over?: Partial<KubernetesTargetConfigInput>): TargetDriver;
}

/**
 * One Kubernetes API stand-in for a test file: started with a kubeconfig in a temp dir before the first
 * test (hooks registered before the file's own `beforeAll` run first, so it can seed there), drivers
 * closed after each test, everything removed after the last.
 */
export function kubeStandIn(o: { prefix: string; podStartMs: number; log: AdapterLogger; driverDefaults?: Partial<KubernetesTargetConfigInput> }): KubeStandInFile {
  const drivers: TargetDriver[] = [];
  const state = { api: undefined as unknown as KubeApiStandIn, dir: '', kubeconfig: '' };
  beforeAll(async () => {
    state.api = await KubeApiStandIn.start({ podStartMs: o.podStartMs });
    state.dir = mkdtempSync(join(tmpdir(), o.prefix));
    state.kubeconfig = state.api.writeKubeconfig(state.dir);
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.close?.();
  });
  afterAll(async () => {
    await state.api?.close();
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get api() {
      return state.api;
    },
    get dir() {
      return state.dir;
    },
    get kubeconfig() {
      return state.kubeconfig;
    },
    driver(over = {}) {
      const d = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig: state.kubeconfig, ...o.driverDefaults, ...over }), { log: o.log, now: Date.now });
      drivers.push(d);
      return d;
    },
  };
}
