/**
 * What each card button runs, as the chat command it stands for. Slack runs it on a click; the
 * console prints it so people can type it. Game-day buttons carry a gd- id.
 */
export const BUTTON_COMMANDS: Readonly<Record<string, { command: string; reason?: string }>> = {
  approve: { command: 'approve' },
  reject: { command: 'reject', reason: 'rejected from the card' },
  start: { command: 'start' },
  cancel: { command: 'cancel', reason: 'cancelled from the card' },
  abort: { command: 'abort', reason: 'aborted from the card' },
  gdapprove: { command: 'gameday approve' },
  gdreject: { command: 'gameday reject', reason: 'rejected from the card' },
  gdcontinue: { command: 'gameday continue' },
  gdhold: { command: 'gameday hold', reason: 'held from the card' },
  gdabort: { command: 'gameday abort', reason: 'aborted from the card' },
  oncallack: { command: 'oncall ack' },
};

/** Aborts of either kind never wait behind other work. */
export const ABORT_BUTTONS: ReadonlySet<string> = new Set(['abort', 'gdabort']);

/** `/chaos <command> <value>` for a button, with the reason a click gives (typed, people add their own). */
export function buttonCommand(actionId: string, value: string, withReason = false): string | undefined {
  const mapped = BUTTON_COMMANDS[actionId];
  if (!mapped) return undefined;
  return `/chaos ${mapped.command} ${value}${withReason && mapped.reason ? ` ${mapped.reason}` : ''}`;
}
