import { isFaultlineError } from '../src/core/errors.js';
import type { CommandContext } from './command.js';

/** How long a decision about someone not (yet) known as an approver waits for the approver group. */
const GROUP_WAIT_MS = 2000;

/**
 * Runs a start/reject/cancel/abort decision with the approvers as known now; when it is refused with
 * `not_permitted`, looks the approver group up (for at most two seconds) and decides once more. An
 * abort of a run never gets here (anyone may), and one that started while the group was looked up is
 * aborted on the second try: the wait never stands between an abort and a running fault.
 */
export async function withApprovers<T>(ctx: CommandContext, decide: () => T): Promise<T> {
  try {
    return decide();
  } catch (err) {
    if (!isFaultlineError(err, 'not_permitted')) throw err;
    await ctx.engine.experiments.refreshApprovers(GROUP_WAIT_MS);
    return decide();
  }
}
