import { z } from 'zod';
import { BlastRadius } from '../../src/core/blast-radius-spec.js';
import { Duration } from '../../src/core/duration.js';
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetDriver, TargetSpec } from '../../src/core/ports.js';

export const MEMORY_FAULT_TYPES = ['latency', 'kill'] as const;

/** `target` of a playbook for `adapter: memory`: candidates whose attributes match every selector pair. */
export const memoryTargetSchema = z.looseObject({
  adapter: z.literal('memory'),
  selector: z.record(z.string(), z.string()).default({}),
  blastRadius: BlastRadius.default({ kind: 'one' }),
});

export const memoryFaultSchema = z.looseObject({
  type: z.enum(MEMORY_FAULT_TYPES),
  parameters: z.record(z.string(), z.unknown()).default({}),
  duration: Duration,
});

/** How a switched-on failure behaves: fail `times` calls (Infinity for always), before or after applying. */
export interface FailSwitch {
  times: number;
  /** inject only: `apply` records the fault first, then throws (a half-done call). */
  when?: 'before' | 'apply';
  message?: string;
}

export interface InjectCall {
  handleId: string;
  experimentId: string;
  targets: string[];
  faultType: string;
  at: number;
  returnedAt?: number;
  /** When the fault went into the target (which may be long before, or without, an answer). */
  appliedAt?: number;
  outcome?: 'ok' | 'error';
}

export interface RevertCall {
  handleId: string;
  experimentId: string;
  at: number;
  outcome?: 'ok' | 'error';
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const forever = () => new Promise<never>(() => undefined);

export function memoryTarget(id: string, attributes: Record<string, string> = {}, name = id): ResolvedTarget {
  return { id, name, kind: 'replica', attributes };
}

/**
 * A second, in-process implementation of our own TargetDriver port. Faults live in a Map keyed by
 * handleId (what `listOwned` reports), revert is idempotent, and switches make calls fail or hang.
 * It outlives any one ExperimentService, so a "restarted" engine sees what the previous one left.
 */
export class MemoryTarget implements TargetDriver {
  readonly kind = 'memory';
  readonly faultTypes = MEMORY_FAULT_TYPES;
  readonly schemas = { target: memoryTargetSchema, fault: memoryFaultSchema };

  /** Active faults, keyed by handleId. */
  readonly faults = new Map<string, FaultHandle>();
  readonly injectCalls: InjectCall[] = [];
  readonly revertCalls: RevertCall[] = [];
  listOwnedCalls = 0;
  confirmCalls = 0;
  previewCalls = 0;

  /** Delay of each `preview`, so concurrent callers really interleave. */
  previewDelayMs = 2;
  private candidates: ResolvedTarget[];
  private injectFail: FailSwitch | null = null;
  private revertFail: FailSwitch | null = null;
  private injectHang: number | 'forever' | null = null;
  private revertHang: number | 'forever' | null = null;

  constructor(candidates: ResolvedTarget[] = []) {
    this.candidates = candidates.map((c) => structuredClone(c));
  }

  // ---- the candidate list, changeable at runtime ----

  targets(): ResolvedTarget[] {
    return this.candidates.map((c) => structuredClone(c));
  }

  setCandidates(list: ResolvedTarget[]): void {
    this.candidates = list.map((c) => structuredClone(c));
  }

  addCandidate(t: ResolvedTarget): void {
    this.candidates.push(structuredClone(t));
  }

  removeCandidate(id: string): void {
    this.candidates = this.candidates.filter((c) => c.id !== id);
  }

  /** Sets (or with `undefined` removes) one attribute of a candidate, e.g. a protection label. */
  setAttribute(id: string, key: string, value: string | undefined): void {
    const t = this.candidates.find((c) => c.id === id);
    if (!t) throw new Error(`no candidate ${id}`);
    if (value === undefined) delete t.attributes[key];
    else t.attributes[key] = value;
  }

  // ---- switches ----

  failInject(s: FailSwitch | null): this {
    this.injectFail = s ? { ...s } : null;
    return this;
  }

  failRevert(s: FailSwitch | null): this {
    this.revertFail = s ? { ...s } : null;
    return this;
  }

  /** Each inject waits this long (or forever) before it applies and returns. */
  hangInject(ms: number | 'forever' | null): this {
    this.injectHang = ms;
    return this;
  }

  hangRevert(ms: number | 'forever' | null): this {
    this.revertHang = ms;
    return this;
  }

  /** Puts a fault straight into the target, as if some earlier process had injected it. */
  plant(handle: Partial<FaultHandle> & Pick<FaultHandle, 'handleId' | 'experimentId'>): FaultHandle {
    const full: FaultHandle = {
      adapter: this.kind,
      faultType: 'latency',
      targets: [],
      appliedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      data: {},
      ...handle,
    };
    this.faults.set(full.handleId, full);
    return full;
  }

  /** Active faults of one experiment. */
  faultsOf(experimentId: string): FaultHandle[] {
    return [...this.faults.values()].filter((f) => f.experimentId === experimentId);
  }

  // ---- the port ----

  async preview(target: TargetSpec, _ctx: DiscoverContext): Promise<ResolvedTarget[]> {
    this.previewCalls += 1;
    const selector = target.selector ?? {};
    const snapshot = this.targets();
    if (this.previewDelayMs > 0) await delay(this.previewDelayMs);
    return snapshot.filter((t) => Object.entries(selector).every(([k, v]) => t.attributes[k] === v));
  }

  async inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle> {
    const call: InjectCall = { handleId: ctx.handleId, experimentId: ctx.experimentId, targets: targets.map((t) => t.id), faultType: fault.type, at: Date.now() };
    this.injectCalls.push(call);
    try {
      ctx.note('memory-apply', { handleId: ctx.handleId, targets: call.targets });
      if (this.injectHang === 'forever') await forever();
      else if (this.injectHang !== null) await delay(this.injectHang);
      const fail = this.take(this.injectFail);
      if (fail && (fail.when ?? 'before') === 'before') throw new Error(fail.message ?? 'inject refused by the memory target');
      const handle: FaultHandle = {
        handleId: ctx.handleId,
        experimentId: ctx.experimentId,
        adapter: this.kind,
        faultType: fault.type,
        targets: targets.map((t) => structuredClone(t)),
        appliedAt: ctx.now(),
        expiresAt: ctx.expiresAt,
        data: { parameters: fault.parameters },
      };
      this.faults.set(ctx.handleId, handle);
      call.appliedAt = Date.now();
      if (this.loseInjectAnswer) await forever();
      if (fail) throw new Error(fail.message ?? 'connection reset after the fault was applied');
      call.outcome = 'ok';
      return structuredClone(handle);
    } catch (err) {
      call.outcome = 'error';
      throw err;
    } finally {
      call.returnedAt = Date.now();
    }
  }

  async revert(handle: FaultHandle, _ctx: DiscoverContext): Promise<void> {
    const call: RevertCall = { handleId: handle.handleId, experimentId: handle.experimentId, at: Date.now() };
    this.revertCalls.push(call);
    if (this.revertHang === 'forever') await forever();
    else if (this.revertHang !== null) await delay(this.revertHang);
    if (this.take(this.revertFail)) {
      call.outcome = 'error';
      throw new Error(this.revertFail?.message ?? `memory target refused to revert ${handle.handleId}`);
    }
    if (!this.revertLies) this.faults.delete(handle.handleId); // idempotent: a missing fault is already reverted
    call.outcome = 'ok';
  }

  async listOwned(_ctx: DiscoverContext): Promise<FaultHandle[]> {
    this.listOwnedCalls += 1;
    return [...this.faults.values()].map((f) => structuredClone(f));
  }

  /**
   * This target as one process reaches it: `sever()` is that process dying (SIGKILL), after which
   * none of its calls reach the target any more (they never settle) while another process's link
   * still works.
   */
  link(): TargetDriver & { sever(): void } {
    let severed = false;
    const gate = <T>(call: () => Promise<T>): Promise<T> => (severed ? forever() : call().then((v) => (severed ? forever() : v)));
    return {
      kind: this.kind,
      faultTypes: this.faultTypes,
      schemas: this.schemas,
      preview: (t, c) => gate(() => this.preview(t, c)),
      inject: (f, t, c) => gate(() => this.inject(f, t, c)),
      revert: (h, c) => gate(() => this.revert(h, c)),
      listOwned: (c) => gate(() => this.listOwned(c)),
      confirmReverted: (h, c) => gate(() => this.confirmReverted(h, c)),
      sever: () => {
        severed = true;
      },
    };
  }

  /** When set, an inject applies its fault and then never answers (the response lost on the way back). */
  loseInjectAnswer = false;

  /** When set, `revert` answers yes but leaves the fault in (a target that lies); `confirmReverted` catches it. */
  revertLies = false;

  async confirmReverted(handle: FaultHandle, _ctx: DiscoverContext): Promise<RevertReceipt> {
    this.confirmCalls += 1;
    const left = this.faults.get(handle.handleId);
    if (!left) return { confirmed: true, differences: [], manualSteps: [] };
    return { confirmed: false, differences: [`${left.faultType} still active on ${left.targets.map((t) => t.id).join(', ') || 'its targets'}`], manualSteps: [`clear memory fault ${handle.handleId}`] };
  }

  /** Consumes one failure from a switch; returns it when this call should fail. */
  private take(s: FailSwitch | null): FailSwitch | null {
    if (!s || s.times <= 0) return null;
    s.times -= 1;
    return s;
  }
}
