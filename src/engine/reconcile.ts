import { SYSTEM } from '../core/actor.js';
import type { AdapterLogger, TargetDriver } from '../core/ports.js';
import type { ExperimentRepo } from './experiment-repo.js';
import type { Journal } from './journal.js';
import type { Runner } from './runner.js';
import { withDeadline } from './timing.js';
import type { Transitions } from './transitions.js';

export interface ReconcileReport {
  recovered: string[];
  orphansReverted: Array<{ adapter: string; handleId: string; experimentId: string }>;
  errors: string[];
}

/**
 * At start-up nothing is running in this process, so every experiment the store still calls
 * running was cut off by a crash: abort it as recovered and revert through the normal path. Then ask
 * each target what it still holds for us and revert whatever no live run owns (crash between the
 * adapter call and the journal write, or a journal lost with its disk).
 */
export async function reconcile(deps: {
  repo: ExperimentRepo;
  journal: Journal;
  transitions: Transitions;
  runner: Runner;
  targets: ReadonlyMap<string, TargetDriver>;
  log: AdapterLogger;
  targetTimeoutMs: number;
}): Promise<ReconcileReport> {
  const report: ReconcileReport = { recovered: [], orphansReverted: [], errors: [] };
  for (const entry of deps.repo.running()) {
    const id = entry.record.id;
    deps.log.warn({ experimentId: id, phase: entry.record.phase }, 'experiment was running when the bot stopped; recovering');
    if (entry.record.phase !== 'reverting' && entry.record.phase !== 'postchecking') {
      deps.transitions.apply(id, { type: 'abort', actor: SYSTEM, reason: 'recovered after restart', code: 'recovered' });
      deps.journal.record('abort', id, SYSTEM, { reason: 'recovered after restart', code: 'recovered' });
    }
    deps.runner.launch(id, 'revert');
    report.recovered.push(id);
  }
  await deps.runner.settle();

  for (const [kind, driver] of deps.targets) {
    let owned;
    try {
      owned = await withDeadline(`listing faults on ${kind}`, deps.targetTimeoutMs, 'adapter_error', (signal) => driver.listOwned({ log: deps.log, signal }));
    } catch (err) {
      const msg = `${kind}: could not list owned faults: ${err instanceof Error ? err.message : String(err)}`;
      report.errors.push(msg);
      deps.log.error({ adapter: kind, err: msg }, 'reconcile could not list owned faults');
      continue;
    }
    for (const handle of owned) {
      if (deps.runner.isRunning(handle.experimentId)) continue;
      try {
        await withDeadline(`revert of ${handle.handleId} on ${kind}`, deps.targetTimeoutMs, 'revert_failed', (signal) => driver.revert(handle, { log: deps.log, signal }));
        deps.journal.record('reconcile-revert', handle.experimentId, SYSTEM, { adapter: kind, handleId: handle.handleId, faultType: handle.faultType });
        deps.log.warn({ adapter: kind, handleId: handle.handleId, experimentId: handle.experimentId }, 'reverted orphaned fault');
        report.orphansReverted.push({ adapter: kind, handleId: handle.handleId, experimentId: handle.experimentId });
      } catch (err) {
        const msg = `${kind}: could not revert ${handle.handleId}: ${err instanceof Error ? err.message : String(err)}`;
        report.errors.push(msg);
        deps.log.error({ adapter: kind, handleId: handle.handleId, err: msg }, 'reconcile revert failed');
      }
    }
  }
  return report;
}
