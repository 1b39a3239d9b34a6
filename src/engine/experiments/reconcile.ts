import { SYSTEM } from '../../core/actor.js';
import { message } from '../../core/message.js';
import type { AdapterLogger, TargetDriver } from '../../core/ports.js';
import type { ExperimentRepo } from './experiment-repo.js';
import { readRevertReceipt, receiptText } from './fault-steps.js';
import type { Journal } from '../journal.js';
import type { Notifier } from '../chat/notifier.js';
import type { Runner } from './runner.js';
import { withDeadline } from './timing.js';
import type { Transitions } from './transitions.js';
import { errorText } from '../../core/errors.js';

export interface ReconcileReport {
  recovered: string[];
  orphansReverted: Array<{ adapter: string; handleId: string; experimentId: string }>;
  errors: string[];
}

export interface ReconcileDeps {
  repo: ExperimentRepo;
  journal: Journal;
  transitions: Transitions;
  runner: Runner;
  notifier: Notifier;
  targets: ReadonlyMap<string, TargetDriver>;
  log: AdapterLogger;
  targetTimeoutMs: number;
}

/**
 * `startup`: nothing runs in this process yet, so every experiment the store still calls running was
 * cut off by a crash: abort it as recovered and revert through the normal path, then wait for those
 * reverts. `running`: the same for a record no run of this process holds (a run whose crash could not
 * even be recorded), without waiting on live runs. Both then ask each target what it still holds for
 * us and revert whatever no live run owns (a crash between the call and the journal write, a call
 * that landed late, a journal lost with its disk).
 */
export async function reconcile(deps: ReconcileDeps, mode: 'startup' | 'running' = 'startup'): Promise<ReconcileReport> {
  const report: ReconcileReport = { recovered: [], orphansReverted: [], errors: [] };
  const [code, reason] = mode === 'startup' ? (['recovered', 'recovered after restart'] as const) : (['error', 'the run stopped without reverting; reverted by reconcile'] as const);
  for (const entry of deps.repo.running()) {
    const id = entry.record.id;
    if (deps.runner.isRunning(id)) continue;
    try {
      deps.log.warn({ experimentId: id, phase: entry.record.phase, mode }, 'experiment marked running with no run in this process; recovering');
      if (entry.record.phase !== 'reverting' && entry.record.phase !== 'postchecking') {
        deps.transitions.apply(id, { type: 'abort', actor: SYSTEM, reason, code });
        deps.journal.record('abort', id, SYSTEM, { reason, code });
      }
      deps.runner.launch(id, 'revert');
      report.recovered.push(id);
    } catch (err) {
      report.errors.push(`${id}: could not recover: ${errorText(err)}`);
      deps.log.error({ experimentId: id, err }, 'recovering an experiment failed');
    }
  }
  if (mode === 'startup') await deps.runner.settle();
  await revertOrphans(deps, report);
  return report;
}

async function revertOrphans(deps: ReconcileDeps, report: ReconcileReport): Promise<void> {
  for (const [kind, driver] of deps.targets) {
    let owned;
    try {
      owned = await withDeadline(`listing faults on ${kind}`, deps.targetTimeoutMs, 'adapter_error', (signal) => driver.listOwned({ log: deps.log, signal }));
    } catch (err) {
      const msg = `${kind}: could not list owned faults: ${errorText(err)}`;
      report.errors.push(msg);
      deps.log.error({ adapter: kind, err }, 'reconcile could not list owned faults');
      continue;
    }
    for (const handle of owned) {
      if (deps.runner.isRunning(handle.experimentId)) continue;
      try {
        await withDeadline(`revert of ${handle.handleId} on ${kind}`, deps.targetTimeoutMs, 'revert_failed', (signal) => driver.revert(handle, { log: deps.log, signal }));
        const receipt = await readRevertReceipt(driver, handle, { timeoutMs: deps.targetTimeoutMs, log: deps.log });
        deps.journal.record('reconcile-revert', handle.experimentId, SYSTEM, { adapter: kind, handleId: handle.handleId, faultType: handle.faultType, ...receipt });
        deps.log.warn({ adapter: kind, handleId: handle.handleId, experimentId: handle.experimentId, confirmed: receipt.confirmed }, 'reverted orphaned fault');
        report.orphansReverted.push({ adapter: kind, handleId: handle.handleId, experimentId: handle.experimentId });
        if (!receipt.confirmed) report.errors.push(`${kind}: ${handle.handleId}: ${receiptText(receipt)}`);
        const entry = deps.repo.find(handle.experimentId);
        if (entry) {
          const text = `found ${handle.faultType} (${handle.handleId}) still applied with no run holding it; reconcile reverted it: ${receiptText(receipt)}`;
          deps.notifier.reply(entry.record.id, entry.card, entry.record.channel, message({ tone: receipt.confirmed ? 'warning' : 'danger', subject: entry.record.id, sections: [text] }));
        }
      } catch (err) {
        const msg = `${kind}: could not revert ${handle.handleId}: ${errorText(err)}`;
        report.errors.push(msg);
        deps.log.error({ adapter: kind, handleId: handle.handleId, err }, 'reconcile revert failed');
      }
    }
  }
}

/**
 * Reconcile while the bot runs: every `intervalMs`, one `running` pass (never two at once). A pass
 * that throws is logged and the next one tries again.
 */
export function startReconcileLoop(deps: ReconcileDeps, intervalMs: number): { stop(): Promise<void>; runOnce(): Promise<ReconcileReport | undefined> } {
  let current: Promise<ReconcileReport | undefined> | undefined;
  let stopped = false;
  const runOnce = () =>
    (current ??= reconcile(deps, 'running')
      .then((report) => {
        if (report.recovered.length + report.orphansReverted.length + report.errors.length > 0) deps.log.warn({ ...report }, 'reconcile found faults no run holds');
        return report;
      })
      .catch((err: unknown) => {
        deps.log.error({ err }, 'reconcile pass failed');
        return undefined;
      })
      .finally(() => {
        current = undefined;
      }));
  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
