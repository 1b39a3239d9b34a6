import { z } from 'zod';
import { eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { isoUtc } from '../report-format.js';

/**
 * What happened to one injected fault (one journaled inject intent), and whether the target read
 * back as it was after the revert: the receipt of `revert-confirmed` / `revert-unconfirmed`, or of
 * a revert by reconcile.
 */
export const RevertReceipt = z.object({
  handleId: z.string(),
  adapter: z.string(),
  fault: z.string(),
  /** Target names (ids when the plan does not name them). */
  targets: z.array(z.string()),
  /** When the target answered the inject; null when it never did. */
  injectedAt: z.string().nullable(),
  /** The fault's own expiry, as handed to the target. */
  expiresAt: z.string(),
  /** When the revert returned; null when none is journaled. */
  revertedAt: z.string().nullable(),
  /** `run`: the run's own revert; `reconcile`: found still applied and reverted by reconcile; null: not reverted. */
  revertedBy: z.enum(['run', 'reconcile']).nullable(),
  /** The target read back as before (true), not as before (false), or was not read back (null). */
  confirmed: z.boolean().nullable(),
  /** One line per thing not as it was. */
  differences: z.array(z.string()),
  /** What a person runs to finish the job when not confirmed. */
  manualSteps: z.array(z.string()),
  /** Why the inject or the revert failed, when one did. */
  error: z.string().nullable(),
});
export type RevertReceipt = z.infer<typeof RevertReceipt>;

/** One receipt per journaled inject intent, oldest first. */
export function revertReceipts(events: readonly PostmortemEvent[], targetName: (id: string) => string): RevertReceipt[] {
  return eventsOf(events, 'inject-intent').map(({ data }) => {
    const mine = (e: { data: { handleId?: string | null } }) => e.data.handleId === data.handleId;
    const injected = eventsOf(events, 'injected').find(mine);
    const injectFailed = eventsOf(events, 'inject-failed').find(mine);
    const reverted = eventsOf(events, 'reverted').find(mine);
    const reconciled = eventsOf(events, 'reconcile-revert').find(mine);
    const revertFailed = eventsOf(events, 'revert-failed').find((e) => mine(e) || !e.data.handleId);
    const confirmed = eventsOf(events, 'revert-confirmed').find(mine);
    const unconfirmed = eventsOf(events, 'revert-unconfirmed').find(mine);
    const done = reverted ?? reconciled;
    const receipt = unconfirmed
      ? { confirmed: false, differences: unconfirmed.data.differences, manualSteps: unconfirmed.data.manualSteps }
      : confirmed
        ? { confirmed: true, differences: [], manualSteps: [] }
        : !reverted && reconciled && typeof reconciled.data.confirmed === 'boolean'
          ? { confirmed: reconciled.data.confirmed, differences: reconciled.data.differences, manualSteps: [] }
          : { confirmed: null, differences: [], manualSteps: [] };
    return {
      handleId: data.handleId,
      adapter: data.adapter,
      fault: data.faultType,
      targets: data.targets.map(targetName),
      injectedAt: injected ? isoUtc(injected.event.at) : null,
      expiresAt: isoUtc(data.expiresAt),
      revertedAt: done ? isoUtc(done.event.at) : null,
      revertedBy: reverted ? 'run' : reconciled ? 'reconcile' : null,
      ...receipt,
      error: !done && revertFailed ? revertFailed.data.error : !injected && injectFailed ? injectFailed.data.error : null,
    };
  });
}
