import type { z } from 'zod';
import type { Experiment, SignalQuery } from './playbook.js';

/** One thing a fault would hit: a replica, a pod, a node. `id` is stable across previews. */
export interface ResolvedTarget {
  id: string;
  name: string;
  kind: string;
  attributes: Record<string, string>;
}

/** What was injected and everything needed to revert it, even from another process after a crash. */
export interface FaultHandle {
  handleId: string;
  experimentId: string;
  adapter: string;
  faultType: string;
  targets: ResolvedTarget[];
  appliedAt: number;
  expiresAt: number;
  data: Record<string, unknown>;
}

export interface AdapterLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface TargetContext {
  experimentId: string;
  handleId: string;
  expiresAt: number;
  now: () => number;
  log: AdapterLogger;
  /** Journals what the adapter is about to change (e.g. a replica count) before it changes it. */
  note: (kind: string, data: Record<string, unknown>) => void;
  signal?: AbortSignal;
}

/** The answer of `confirmReverted`: read from the target itself, never from the journal. */
export interface RevertReceipt {
  confirmed: boolean;
  /** One line per thing not as it was, e.g. "deployment/shop/web: 0 replicas, expected 3". */
  differences: string[];
  /** What a person runs to finish the job when not confirmed (kubectl commands, admin API calls). */
  manualSteps: string[];
}

export interface DiscoverContext {
  log: AdapterLogger;
  signal?: AbortSignal;
}

export type TargetSpec = Experiment['target'];
export type FaultSpec = Experiment['fault'];

export interface TargetDriver {
  kind: string;
  faultTypes: readonly string[];
  /** zod schemas for the playbook's `target` and `fault` when `target.adapter` is this driver. */
  schemas: { target: z.ZodType; fault: z.ZodType };
  /** Every candidate the selector matches; blast-radius selection and protection happen in the core. */
  preview(target: TargetSpec, ctx: DiscoverContext): Promise<ResolvedTarget[]>;
  inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle>;
  /** Idempotent: reverting an already reverted or expired fault succeeds. */
  revert(handle: FaultHandle, ctx: DiscoverContext): Promise<void>;
  /** What this bot still has injected, found from the target side (for reconcile after a crash). */
  listOwned(ctx: DiscoverContext): Promise<FaultHandle[]>;
  /** Reads the target again after a revert and says whether what the handle changed is back as it was. */
  confirmReverted(handle: FaultHandle, ctx: DiscoverContext): Promise<RevertReceipt>;
  close?(): Promise<void>;
}

export type Reading =
  | { status: 'ok'; value: number; at: number }
  | { status: 'unknown'; reason: string; at: number };

export interface SampleContext {
  now: () => number;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface SignalSource {
  kind: string;
  schema: z.ZodType;
  /** Never throws: errors, timeouts and empty answers come back as `unknown`. */
  sample(query: SignalQuery, ctx: SampleContext): Promise<Reading>;
  describe(query: SignalQuery): string;
}

export interface MessageRef {
  channel: string;
  ts: string;
}

/** An adapter's descriptor: its config schema and a factory. Registered in one Map per family. */
export interface AdapterDeps {
  log: AdapterLogger;
  now: () => number;
}
export interface TargetAdapter<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  create(config: C, deps: AdapterDeps): TargetDriver;
}
export interface SignalAdapter<C = unknown> {
  kind: string;
  configSchema: z.ZodType<C>;
  create(config: C, deps: AdapterDeps): SignalSource;
}
