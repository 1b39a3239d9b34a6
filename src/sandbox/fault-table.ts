/**
 * The proxy's active faults: idempotent on handleId, cleared by id or by experiment, and swept by
 * itself when a fault's expiresAt passes, so no fault outlives its expiry even if the bot is gone.
 */
import { randomUUID } from 'node:crypto';
import type { AdapterLogger } from '../core/ports.js';
import type { ActiveFault, NewFaultBody } from './fault-spec.js';

export type ClearReason = 'deleted' | 'experiment-cleared' | 'expired' | 'shutdown';

export type AddResult =
  | { kind: 'created'; fault: ActiveFault }
  | { kind: 'existing'; fault: ActiveFault }
  | { kind: 'conflict'; reason: string };

export interface FaultTableOptions {
  now: () => number;
  log: AdapterLogger;
  /** How often expired faults are swept. Default 200 ms (5 times a second). */
  sweepEveryMs?: number;
  onAdded?: (fault: ActiveFault) => void;
  onRemoved?: (fault: ActiveFault, reason: ClearReason) => void;
}

export interface FaultTable {
  add(body: NewFaultBody): AddResult;
  /** Active, unexpired faults, oldest first. */
  list(filter?: { experimentId?: string }): ActiveFault[];
  /** Unexpired faults that hit this replica, checked against the clock on every call. */
  forTarget(targetId: string): ActiveFault[];
  remove(id: string, reason?: ClearReason): ActiveFault | undefined;
  clearExperiment(experimentId: string): number;
  sweep(): number;
  start(): void;
  stop(): void;
}

const MAX_TOMBSTONES = 5_000;

function sameRequest(a: ActiveFault, b: NewFaultBody): boolean {
  return (
    a.experimentId === b.experimentId &&
    a.type === b.type &&
    a.expiresAt === b.expiresAt &&
    [...a.targets].sort().join('\n') === [...b.targets].sort().join('\n') &&
    JSON.stringify(a.params) === JSON.stringify(b.params)
  );
}

export function createFaultTable(opts: FaultTableOptions): FaultTable {
  const { now, log } = opts;
  const faults = new Map<string, ActiveFault>();
  const byHandle = new Map<string, string>();
  /** handleIds of faults already cleared: a late retry of their POST must not bring them back. */
  const closedHandles = new Map<string, ClearReason>();
  let timer: NodeJS.Timeout | undefined;

  function remove(id: string, reason: ClearReason = 'deleted'): ActiveFault | undefined {
    const fault = faults.get(id);
    if (!fault) return undefined;
    faults.delete(id);
    byHandle.delete(fault.handleId);
    closedHandles.set(fault.handleId, reason);
    if (closedHandles.size > MAX_TOMBSTONES) {
      const oldest = closedHandles.keys().next();
      if (!oldest.done) closedHandles.delete(oldest.value);
    }
    log.info({ faultId: id, experimentId: fault.experimentId, type: fault.type, targets: fault.targets, reason }, 'fault cleared');
    opts.onRemoved?.(fault, reason);
    return fault;
  }

  function sweep(): number {
    const t = now();
    let n = 0;
    for (const fault of [...faults.values()]) {
      if (fault.expiresAt <= t && remove(fault.id, 'expired')) n += 1;
    }
    return n;
  }

  return {
    add(body) {
      const existingId = byHandle.get(body.handleId);
      const existing = existingId ? faults.get(existingId) : undefined;
      if (existing && existing.expiresAt > now()) {
        if (!sameRequest(existing, body)) {
          return { kind: 'conflict', reason: `handleId ${body.handleId} is already used by fault ${existing.id} with different contents` };
        }
        return { kind: 'existing', fault: existing };
      }
      if (existing) remove(existing.id, 'expired');
      const closed = closedHandles.get(body.handleId);
      if (closed) return { kind: 'conflict', reason: `handleId ${body.handleId} belongs to a fault that was already cleared (${closed})` };
      const fault: ActiveFault = { ...body, id: `f-${randomUUID().slice(0, 8)}`, appliedAt: now() };
      faults.set(fault.id, fault);
      byHandle.set(fault.handleId, fault.id);
      log.info(
        { faultId: fault.id, experimentId: fault.experimentId, type: fault.type, targets: fault.targets, params: fault.params, expiresAt: fault.expiresAt },
        'fault applied',
      );
      opts.onAdded?.(fault);
      return { kind: 'created', fault };
    },
    list(filter = {}) {
      const t = now();
      return [...faults.values()].filter(
        (f) => f.expiresAt > t && (filter.experimentId === undefined || f.experimentId === filter.experimentId),
      );
    },
    forTarget(targetId) {
      const t = now();
      const hits: ActiveFault[] = [];
      for (const f of faults.values()) if (f.expiresAt > t && f.targets.includes(targetId)) hits.push(f);
      return hits;
    },
    remove,
    clearExperiment(experimentId) {
      let n = 0;
      for (const f of [...faults.values()]) {
        if (f.experimentId === experimentId && remove(f.id, 'experiment-cleared')) n += 1;
      }
      return n;
    },
    sweep,
    start() {
      timer ??= setInterval(sweep, opts.sweepEveryMs ?? 200);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const f of [...faults.values()]) remove(f.id, 'shutdown');
    },
  };
}
