import { formatDuration } from '../../core/duration.js';
import { chronological, dataOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { isoUtc, relTime } from '../report-format.js';

/** How long a step's fault stayed in while no run of the bot watched its guardrails. */
export interface UnwatchedView {
  /** The last guardrail reading before the bot stopped, or the injection when there was none. */
  from: { what: string; time: string; rel: string };
  /** The revert by the recovery; null when none is recorded (the fault may still be in). */
  to: { time: string; rel: string } | null;
  /** From `from` to `to`; null without a revert. */
  duration: string | null;
  /** One Markdown sentence. */
  text: string;
}

// The recovery's own codes: `recovered` (a start-up found the run cut off), `shutdown` (the bot stopped it).
const STOPPED = new Set(['recovered', 'shutdown']);

/**
 * The unwatched stretch of a step cut off by a restart or a shutdown, from its experiment journal:
 * the last `reading` (else `injected`, else the inject intent: the crash may have come mid-call)
 * before the recovery's `abort`, to the first `reverted` or `reconcile-revert` after it. Null when
 * the run was not stopped that way or nothing was injected.
 */
export function unwatchedWindow(events: readonly PostmortemEvent[], origin: number): UnwatchedView | null {
  const sorted = chronological(events);
  const stop = sorted.findIndex((e) => STOPPED.has(String(dataOf(e, 'abort')?.code)));
  if (stop < 0) return null;
  const before = sorted.slice(0, stop).reverse();
  const watched =
    before.find((e) => e.kind === 'reading' && dataOf(e, 'reading')) ?? before.find((e) => e.kind === 'injected') ?? before.find((e) => e.kind === 'inject-intent');
  if (!watched) return null;
  // Faults can be reverted before the stop (the run was already reverting); then nothing was left unwatched.
  const outBefore = before.some((e) => (e.kind === 'reverted' || e.kind === 'reconcile-revert') && e.at >= watched.at);
  if (outBefore) return null;
  const revert = sorted.slice(stop).find((e) => e.kind === 'reverted' || e.kind === 'reconcile-revert');
  const what = watched.kind === 'reading' ? 'the last guardrail reading' : watched.kind === 'injected' ? 'the injection (no guardrail reading yet)' : 'the inject call (its answer never journaled)';
  const from = { what, time: isoUtc(watched.at), rel: relTime(watched.at, origin) };
  if (!revert) {
    return { from, to: null, duration: null, text: `**Unwatched:** nobody watched the fault after ${what} at ${from.time} (${from.rel}), and no revert is recorded: check the targets.` };
  }
  const to = { time: isoUtc(revert.at), rel: relTime(revert.at, origin) };
  const duration = formatDuration(Math.max(0, revert.at - watched.at));
  const by = revert.kind === 'reconcile-revert' ? 'reconcile' : 'the recovery';
  return {
    from,
    to,
    duration,
    text: `**Unwatched:** the fault was in for ${duration} with nobody watching, from ${what} at ${from.time} (${from.rel}) to the revert by ${by} at ${to.time} (${to.rel}).`,
  };
}
