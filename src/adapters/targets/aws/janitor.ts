/**
 * `faultline janitor --aws`: one pass over AWS alone (no journal, no bot). Every fault the driver's
 * families find by their tags (listOwned) whose `faultline:expires-at` has passed, plus a grace so a
 * live bot reverts first, is reverted from what the tags record and then read back for its receipt.
 * A fault without a readable expiry is never touched; faults not yet expired are kept.
 */
import { formatDuration } from '../../../core/duration.js';
import { errorText } from '../../../core/errors.js';
import type { AdapterLogger, FaultHandle, TargetDriver } from '../../../core/ports.js';
import type { JanitorLine, JanitorSummary } from '../kubernetes/janitor.js';
import { AWS_TAGS } from './fault-family.js';

export interface AwsJanitorOptions {
  graceMs: number;
  dryRun: boolean;
  now: () => number;
  signal?: AbortSignal;
}

/** An AdapterLogger that turns the adapter's warnings into `warning` lines and drops the rest. */
function janitorLog(emit: (line: JanitorLine) => void): AdapterLogger {
  const warn = (obj: object, msg: string) => {
    const detail = Object.entries(obj)
      .filter(([k]) => k !== 'err')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    emit({ action: 'warning', message: detail ? `${msg} (${detail})` : msg });
  };
  return { debug() {}, info() {}, warn, error: warn };
}

const resourcesOf = (h: FaultHandle): string => {
  const d = h.data as { region?: string; instances?: string[]; asgs?: Array<{ name: string }> };
  const parts = [...(d.instances ?? []), ...(d.asgs ?? []).map((g) => `asg/${g.name}`)];
  return `${d.region ?? '?'}: ${parts.join(', ') || h.targets.map((t) => t.id).join(', ') || 'no resources'}`;
};

export async function runAwsJanitor(driver: Pick<TargetDriver, 'listOwned' | 'revert' | 'confirmReverted'>, opts: AwsJanitorOptions, emit: (line: JanitorLine) => void): Promise<JanitorSummary> {
  const log = janitorLog(emit);
  // Reading AWS is the one thing that may throw (adapter_error): without it nothing can be decided.
  const handles = await driver.listOwned({ log, ...(opts.signal ? { signal: opts.signal } : {}) });
  const summary: JanitorSummary = { handles: handles.length, expired: 0, confirmed: 0, notConfirmed: 0, failed: 0, kept: 0, skippedObjects: 0, ok: true };
  const ctx = { log, ...(opts.signal ? { signal: opts.signal } : {}) };
  for (const handle of handles) {
    const who = { handleId: handle.handleId, experimentId: handle.experimentId, faultType: handle.faultType };
    const about = `${handle.handleId}, ${handle.faultType} of ${handle.experimentId} (${resourcesOf(handle)})`;
    if ((handle.data as { expiryKnown?: boolean }).expiryKnown === false || handle.expiresAt <= 0) {
      summary.skippedObjects += 1;
      emit({ action: 'skipped', ...who, message: `${about}: no readable ${AWS_TAGS.expiresAt} tag; not touched` });
      continue;
    }
    const now = opts.now();
    const expiresIso = new Date(handle.expiresAt).toISOString();
    if (now < handle.expiresAt + opts.graceMs) {
      summary.kept += 1;
      const when =
        now < handle.expiresAt
          ? `expires in ${formatDuration(handle.expiresAt - now)}`
          : `expired ${formatDuration(now - handle.expiresAt)} ago, within the ${formatDuration(opts.graceMs)} grace (left to the bot)`;
      emit({ action: 'kept', ...who, expiresAt: expiresIso, message: `${about}: ${when}` });
      continue;
    }
    summary.expired += 1;
    const ago = `expired ${formatDuration(now - handle.expiresAt)} ago`;
    if (opts.dryRun) {
      emit({ action: 'would-revert', ...who, expiresAt: expiresIso, message: `${about}, ${ago}: would start the instances, resume what Faultline suspended and remove its tags` });
      continue;
    }
    try {
      await driver.revert(handle, ctx);
      emit({ action: 'reverted', ...who, expiresAt: expiresIso, message: `${about}, ${ago}: reverted` });
    } catch (err) {
      summary.failed += 1;
      const receipt = await driver.confirmReverted(handle, ctx).catch(() => undefined);
      emit({
        action: 'failed',
        ...who,
        expiresAt: expiresIso,
        ...(receipt ? { manualSteps: receipt.manualSteps } : {}),
        message: `${about}, ${ago}: could not revert it (${errorText(err)})${receipt && receipt.manualSteps.length > 0 ? `; by hand: ${receipt.manualSteps.join(' ; ')}` : ''}`,
      });
      continue;
    }
    const receipt = await driver.confirmReverted(handle, ctx);
    if (receipt.confirmed) {
      summary.confirmed += 1;
      emit({ action: 'confirmed', ...who, expiresAt: expiresIso, message: `${about}: reverted and confirmed (read back as it was)` });
    } else {
      summary.notConfirmed += 1;
      emit({
        action: 'not-confirmed',
        ...who,
        expiresAt: expiresIso,
        differences: receipt.differences,
        manualSteps: receipt.manualSteps,
        message: `${about}: revert NOT confirmed: ${receipt.differences.join('; ')}; by hand: ${receipt.manualSteps.join(' ; ')}`,
      });
    }
  }
  summary.ok = summary.failed === 0 && summary.notConfirmed === 0;
  const parts = [
    `${summary.handles} fault(s) found`,
    `${summary.expired} expired`,
    opts.dryRun ? undefined : `${summary.confirmed} reverted and confirmed`,
    summary.notConfirmed > 0 ? `${summary.notConfirmed} NOT confirmed` : undefined,
    summary.failed > 0 ? `${summary.failed} failed` : undefined,
    `${summary.kept} kept`,
    summary.skippedObjects > 0 ? `${summary.skippedObjects} skipped` : undefined,
  ].filter((p): p is string => p !== undefined);
  emit({ action: 'summary', message: `aws janitor${opts.dryRun ? ' (dry run)' : ''}: ${parts.join(', ')}` });
  return summary;
}
