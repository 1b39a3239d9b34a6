import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { SYSTEM } from '../../core/actor.js';
import { wrapError, errorText } from '../../core/errors.js';
import { message } from '../../core/message.js';
import { PartialApplication, partialMissed } from '../../core/experiment.js';
import { FAULT_ENDED_NOTE, PARTIAL_NOTE, type AdapterLogger, type FaultEnded, type FaultHandle, type RevertReceipt, type TargetDriver } from '../../core/ports.js';
import { sleep } from '../../lib/sleep.js';
import type { EngineDeps } from '../engine-deps.js';
import type { ExperimentRepo } from './experiment-repo.js';
import type { Journal } from '../journal.js';
import type { Notifier } from '../chat/notifier.js';
import { driverFor } from './plan-builder.js';
import { withDeadline, type LateOutcome } from './timing.js';

/** A fault this process applied (or may have applied: `handle` is null until the target answered) and has not reverted. */
export interface InFlightFault {
  experimentId: string;
  handleId: string;
  driver: TargetDriver;
  handle: FaultHandle | null;
}

/** How often, and for at least how long after an inject's deadline, the target is asked whether the inject landed after all. */
const LATE_POLL_MS = 250;
const LATE_WATCH_MIN_MS = 30_000;

/** Waits between reads of a revert receipt: a target may take a moment to show the revert (caches, controllers). */
const CONFIRM_WAITS_MS = [200, 800];

/** A revert that failed, with the handle it failed on (the message is the target's own). */
export class HandleRevertError extends Error {
  constructor(
    readonly handleId: string,
    readonly reason: unknown,
  ) {
    super(errorText(reason), { cause: reason });
  }
}

export const receiptText = (r: RevertReceipt) =>
  r.confirmed ? 'reverted and confirmed' : `revert NOT confirmed: ${r.differences.join('; ')}${r.manualSteps.length ? `. Finish by hand: ${r.manualSteps.join(' ; ')}` : ''}`;

/** Reads the target back after a revert; a difference gets a second and third look before it counts. */
export async function readRevertReceipt(driver: TargetDriver, handle: FaultHandle, opts: { timeoutMs: number; log: AdapterLogger }): Promise<RevertReceipt> {
  let receipt: RevertReceipt = { confirmed: false, differences: ['not read yet'], manualSteps: [] };
  for (let attempt = 0; attempt <= CONFIRM_WAITS_MS.length; attempt += 1) {
    try {
      receipt = await withDeadline(`reading ${handle.handleId} back on ${driver.kind}`, opts.timeoutMs, 'revert_failed', (signal) => driver.confirmReverted(handle, { log: opts.log, signal }));
    } catch (err) {
      receipt = { confirmed: false, differences: [`could not read the target back: ${errorText(err)}`], manualSteps: [] };
    }
    if (receipt.confirmed || attempt === CONFIRM_WAITS_MS.length) return receipt;
    await sleep(CONFIRM_WAITS_MS[attempt]!);
  }
  return receipt;
}

/**
 * The two steps that touch a target: inject and revert. Each fault this process has in flight is
 * also held in memory, apart from the store, so it can be reverted when the store itself fails or
 * the process is going down; a call that outlives its deadline is undone when it lands.
 */
export class FaultSteps {
  private readonly inflight = new Map<string, InFlightFault>();
  /** Per handle: the revert of a late landing in progress, so two finders never revert it at once. */
  private readonly landing = new Map<string, Promise<void>>();
  private readonly revertedAt = new Map<string, number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: EngineDeps,
    private readonly repo: ExperimentRepo,
    private readonly journal: Journal,
    private readonly notifier: Notifier,
    /** Told when the target says the fault ended by itself (FAULT_ENDED_NOTE); the runner decides what that means for the run. */
    private readonly onFaultEnded: (id: string, ended: FaultEnded) => void = () => undefined,
  ) {
    // Every watch for a late inject waits on this one signal.
    setMaxListeners(0, this.stopping.signal);
  }

  /** Ends the watches for late injects (at shutdown; reconcile at the next start covers what they would have found). */
  stop(): void {
    this.stopping.abort();
  }

  /** Faults applied by this process and not yet reverted (the last-resort handler reverts these). */
  inFlight(): InFlightFault[] {
    return [...this.inflight.values()];
  }

  /** An adapter's word, as it happens, that part of the fault did not go in: said in the thread at once. */
  private faultEnded(id: string, data: Record<string, unknown>): void {
    const state = data.state;
    if (state !== 'completed' && state !== 'stopped' && state !== 'failed') {
      this.deps.log.warn({ experimentId: id, data }, 'the target said the fault ended, in an unreadable shape');
      return;
    }
    this.onFaultEnded(id, { state, reason: typeof data.reason === 'string' && data.reason ? data.reason : `the fault ${state} by itself` });
  }

  private sayPartial(id: string, data: Record<string, unknown>): void {
    const p = PartialApplication.safeParse(data);
    if (!p.success) return;
    const where = typeof data.where === 'string' && data.where ? ` (${data.where})` : '';
    const entry = this.repo.find(id);
    if (entry) this.notifier.reply(id, entry.card, entry.record.channel, message({ tone: 'warning', subject: id, sections: [`${partialMissed(p.data)}${where}`] }));
  }

  /**
   * Writes the intent first, then injects: a crash between the two is found by reconcile.
   * `partial` is set when the target says only part of the fault went in.
   */
  async inject(id: string): Promise<{ handle: FaultHandle | null; expiresAt: number; error?: string; partial?: PartialApplication }> {
    const { record, spec } = this.repo.get(id);
    const driver = driverFor(this.deps.targets, record.plan.adapter);
    const handleId = `fh-${randomUUID().slice(0, 8)}`;
    const expiresAt = this.deps.clock.now() + record.plan.durationMs;
    this.journal.record('inject-intent', id, SYSTEM, {
      handleId,
      adapter: driver.kind,
      faultType: spec.fault.type,
      parameters: spec.fault.parameters,
      targets: record.plan.targets.map((t) => t.id),
      expiresAt,
    });
    const flight: InFlightFault = { experimentId: id, handleId, driver, handle: null };
    this.inflight.set(handleId, flight);
    try {
      const handle = await withDeadline(
        `inject on ${driver.kind}`,
        this.deps.settings.targetTimeoutMs,
        'inject_failed',
        (signal) =>
          driver.inject(spec.fault, record.plan.targets, {
            experimentId: id,
            handleId,
            expiresAt,
            now: () => this.deps.clock.now(),
            log: this.deps.log,
            note: (kind, data) => {
              // The note's kind wins over a field of the same name in its data.
              this.journal.record('adapter-note', id, SYSTEM, { ...data, kind });
              if (kind === PARTIAL_NOTE) this.sayPartial(id, data);
              if (kind === FAULT_ENDED_NOTE) this.faultEnded(id, data);
            },
            signal,
          }),
        (late) => void this.landedLate(id, flight, late),
        () => this.watchForLanding(id, flight),
      );
      flight.handle = handle;
      this.journal.record('injected', id, SYSTEM, { handleId, handle: handle as unknown as Record<string, unknown> });
      this.deps.log.info({ experimentId: id, handleId, fault: spec.fault.type, targets: record.plan.targets.map((t) => t.id) }, 'fault injected');
      const partial = handle.partial === undefined ? undefined : PartialApplication.safeParse(handle.partial);
      if (partial && !partial.success) this.deps.log.warn({ experimentId: id, handleId, partial: handle.partial }, 'the target reported a partial fault in an unreadable shape');
      return { handle, expiresAt, ...(partial?.success ? { partial: partial.data } : {}) };
    } catch (err) {
      if (flight.handle) throw err; // applied, but the store refused to record it: the run's crash path reverts from memory
      const e = wrapError('inject_failed', 'inject failed', err);
      this.journal.record('inject-failed', id, SYSTEM, { handleId, error: e.message });
      this.deps.log.error({ experimentId: id, handleId, err: e }, 'inject failed');
      return { handle: null, expiresAt, error: e.message };
    }
  }

  /**
   * An inject that passed its deadline may still land: the request can sit in a proxy or an API
   * server queue after the call gave up (an adapter that honours the abort signal settles at once,
   * before anything landed). Until the watch window ends, the target is asked every
   * LATE_POLL_MS what this handle holds, and whatever shows up is reverted.
   */
  private watchForLanding(id: string, flight: InFlightFault): void {
    const until = this.deps.clock.now() + Math.max(LATE_WATCH_MIN_MS, this.deps.settings.targetTimeoutMs);
    const poll = async () => {
      while (this.deps.clock.now() < until && !this.stopping.signal.aborted) {
        await sleep(LATE_POLL_MS, this.stopping.signal);
        if (this.stopping.signal.aborted) break;
        try {
          const owned = await this.listOwnedBy(flight.driver, (h) => h.handleId === flight.handleId);
          for (const handle of owned) await this.revertLanded(id, flight, handle, 'landed after its deadline');
        } catch (err) {
          this.deps.log.warn({ experimentId: id, handleId: flight.handleId, err }, 'looking for a late inject failed; trying again');
        }
      }
      if (!flight.handle) this.inflight.delete(flight.handleId);
    };
    void poll().catch((err: unknown) => this.deps.log.error({ experimentId: id, handleId: flight.handleId, err }, 'watch for a late inject failed'));
  }

  /**
   * Reverts a handle that landed late. One at a time per handle: the watch and the late answer may
   * both find it, and what was reverted after it was found is not reverted again.
   */
  private revertLanded(id: string, flight: InFlightFault, handle: FaultHandle, how: string): Promise<void> {
    const foundAt = this.deps.clock.now();
    const previous = this.landing.get(flight.handleId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if ((this.revertedAt.get(handle.handleId) ?? -1) >= foundAt) return;
        if (!this.inflight.has(handle.handleId)) this.inflight.set(handle.handleId, { ...flight, handle });
        const receipt = await this.revertOne(id, flight.driver, handle, `the inject ${how}`);
        this.revertedAt.set(handle.handleId, this.deps.clock.now());
        const entry = this.repo.find(id);
        if (entry) this.notifier.reply(id, entry.card, entry.record.channel, message({ tone: receipt.confirmed ? 'warning' : 'danger', subject: id, sections: [`the inject ${how} and had applied the fault; ${receiptText(receipt)}`] }));
      })
      .catch((err: unknown) => this.deps.log.error({ experimentId: id, handleId: handle.handleId, err }, 'reverting a late inject failed'));
    this.landing.set(flight.handleId, next);
    return next;
  }

  /**
   * An inject that passed its deadline settled after all. Whatever it applied is reverted now,
   * whatever the run is doing meanwhile (revert is idempotent), and the target is asked again what
   * this handle still holds, since a call that failed late may have applied part of the fault.
   */
  private async landedLate(id: string, flight: InFlightFault, late: LateOutcome<FaultHandle>): Promise<void> {
    const { driver, handleId } = flight;
    if (late.ok) flight.handle = late.value;
    this.deps.log.warn({ experimentId: id, handleId, applied: late.ok, ...(late.ok ? {} : { err: late.error }) }, 'inject answered after its deadline; reverting what it applied');
    try {
      this.journal.record('inject-late', id, SYSTEM, late.ok ? { handleId, outcome: 'applied' } : { handleId, outcome: 'failed', error: errorText(late.error) });
      const handles = late.ok ? [late.value] : await this.listOwnedBy(driver, (h) => h.handleId === handleId);
      for (const handle of handles) await this.revertLanded(id, flight, handle, 'answered after its deadline');
    } catch (err) {
      // Still in memory (and marked on the target): the periodic reconcile or the last-resort handler reverts it.
      this.deps.log.error({ experimentId: id, handleId, err }, 'reverting a late inject failed');
    }
  }

  /** Reverts every fault this experiment injected that is not yet reverted; the receipts say whether the target is back. */
  async revertAll(id: string, reason: string): Promise<Array<{ handle: FaultHandle; receipt: RevertReceipt }>> {
    const { record } = this.repo.get(id);
    const driver = driverFor(this.deps.targets, record.plan.adapter);
    const handles = await this.openHandles(id, driver);
    const done: Array<{ handle: FaultHandle; receipt: RevertReceipt }> = [];
    for (const handle of handles) {
      if (!this.inflight.has(handle.handleId)) this.inflight.set(handle.handleId, { experimentId: id, handleId: handle.handleId, driver, handle });
      try {
        done.push({ handle, receipt: await this.revertOne(id, driver, handle, reason) });
      } catch (err) {
        throw new HandleRevertError(handle.handleId, err);
      }
    }
    return done;
  }

  /** One handle: revert, journal, then read the target back for the receipt. */
  async revertOne(id: string, driver: TargetDriver, handle: FaultHandle, reason: string): Promise<RevertReceipt> {
    this.journal.record('revert-started', id, SYSTEM, { handleId: handle.handleId, reason });
    await withDeadline(
      `revert of ${handle.handleId} on ${driver.kind}`,
      this.deps.settings.targetTimeoutMs,
      'revert_failed',
      (signal) => driver.revert(handle, { log: this.deps.log, signal }),
      (late) => this.deps.log.warn({ experimentId: id, handleId: handle.handleId, reverted: late.ok }, 'revert answered after its deadline'),
    );
    this.inflight.delete(handle.handleId);
    this.journal.record('reverted', id, SYSTEM, { handleId: handle.handleId });
    this.deps.log.info({ experimentId: id, handleId: handle.handleId }, 'fault reverted');
    const receipt = await this.confirm(driver, handle);
    this.journal.record(receipt.confirmed ? 'revert-confirmed' : 'revert-unconfirmed', id, SYSTEM, { handleId: handle.handleId, ...receipt });
    if (!receipt.confirmed) this.deps.log.error({ experimentId: id, handleId: handle.handleId, differences: receipt.differences }, 'revert not confirmed');
    return receipt;
  }

  private confirm(driver: TargetDriver, handle: FaultHandle): Promise<RevertReceipt> {
    return readRevertReceipt(driver, handle, { timeoutMs: this.deps.settings.targetTimeoutMs, log: this.deps.log });
  }

  /**
   * Store-free: reverts what this process has in flight (all of it, or what `which` picks),
   * asking the target for handles it never answered with. Used when a run's own path has failed and
   * by the last-resort handler before the process exits.
   */
  async revertInFlight(which: (f: InFlightFault) => boolean = () => true): Promise<{ reverted: string[]; failed: Array<{ handleId: string; error: string }> }> {
    const reverted: string[] = [];
    const failed: Array<{ handleId: string; error: string }> = [];
    await Promise.all(
      this.inFlight()
        .filter(which)
        .map(async (f) => {
          try {
            const handles = f.handle ? [f.handle] : await this.listOwnedBy(f.driver, (h) => h.handleId === f.handleId);
            for (const h of handles) {
              await withDeadline(`revert of ${h.handleId} on ${f.driver.kind}`, this.deps.settings.targetTimeoutMs, 'revert_failed', (signal) => f.driver.revert(h, { log: this.deps.log, signal }));
            }
            this.inflight.delete(f.handleId);
            reverted.push(f.handleId);
          } catch (err) {
            failed.push({ handleId: f.handleId, error: errorText(err) });
          }
        }),
    );
    return { reverted, failed };
  }

  private async listOwnedBy(driver: TargetDriver, pick: (h: FaultHandle) => boolean): Promise<FaultHandle[]> {
    const list = await withDeadline(`listing faults on ${driver.kind}`, this.deps.settings.targetTimeoutMs, 'revert_failed', (signal) => driver.listOwned({ log: this.deps.log, signal }));
    return list.filter(pick);
  }

  /** Journaled handles without a `reverted` record, plus anything the target still reports as ours. */
  private async openHandles(id: string, driver: TargetDriver): Promise<FaultHandle[]> {
    const events = this.journal.of(id);
    const reverted = new Set(events.filter((e) => e.kind === 'reverted').map((e) => String(e.data.handleId)));
    const byId = new Map<string, FaultHandle>();
    for (const e of events) {
      if (e.kind === 'injected' && !reverted.has(String(e.data.handleId))) byId.set(String(e.data.handleId), e.data.handle as unknown as FaultHandle);
    }
    // Applied by this process but not journaled (the store refused the write): memory knows.
    for (const f of this.inflight.values()) if (f.experimentId === id && f.handle && !byId.has(f.handleId)) byId.set(f.handleId, f.handle);
    const intents = events.filter((e) => e.kind === 'inject-intent' && !reverted.has(String(e.data.handleId)));
    if (intents.some((e) => !byId.has(String(e.data.handleId)))) {
      // Injected but never confirmed (crash or failure mid-call): ask the target what it holds.
      for (const owned of await this.listOwnedBy(driver, (h) => h.experimentId === id && !reverted.has(h.handleId))) byId.set(owned.handleId, owned);
    }
    return [...byId.values()];
  }
}
