/**
 * Every refusal and failure Faultline reports carries a stable code, so chat answers, logs,
 * metrics and tests can match on it without parsing prose.
 */
export const ERROR_CODES = [
  'approval_self',
  'approval_not_approver',
  'approval_plan_changed',
  'approval_expired',
  'approval_missing',
  /** Start, reject or cancel by someone the rule does not name (see core/permissions.ts). */
  'not_permitted',
  /** A signed Slack request seen before (a replay), or dated more than five minutes ahead. */
  'request_replayed',
  'request_future',
  'illegal_transition',
  'halted',
  'blast_radius_exceeded',
  'protected_target',
  'target_busy',
  'concurrency_cap',
  'no_targets',
  'steady_state_failed',
  'guardrail_breach',
  'guardrail_blind',
  'playbook_invalid',
  'playbook_not_found',
  'config_invalid',
  'experiment_not_found',
  'command_unknown',
  'command_usage',
  'adapter_unknown',
  /** A target, signal, chat or incident adapter's call failed (the engine wraps port calls with it). */
  'adapter_error',
  /** Something failed that is not Faultline's to name: a bug, or a foreign error outside any port call. */
  'internal_error',
  'signal_error',
  'inject_failed',
  'revert_failed',
  'store_error',
  /** A replica whose leader lease is gone (expired or taken over) tried to act: it acts on nothing. */
  'leader_fenced',
  /** Another Faultline runs its engine on this SQLite file: one engine per file (replicas need PostgreSQL). */
  'store_in_use',
  /** A follower could not reach the database, or no leader took a handed-over command in time. */
  'replica_unavailable',
  'audit_broken',
  'template_error',
  'incident_open',
  'incident_lookup_failed',
  'incident_unknown',
  'frozen',
  'ladder',
  'schedule_not_found',
  'schedule_invalid',
  'gameday_not_found',
  'gameday_role',
  /** A start that needs the on-call's acknowledgement (`onCall: require`) is waiting for it. */
  'oncall_pending',
  /** Nobody acknowledged in time: the start is refused. */
  'oncall_unacknowledged',
  /** The on-call cannot be asked: no directory, nobody on call, no chat account, or the lookup failed. */
  'oncall_unreachable',
  /** An acknowledgement from someone the bot did not ask. */
  'oncall_not_asked',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class FaultlineError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaultlineError';
    this.code = code;
    this.details = details;
  }
}

export function isFaultlineError(err: unknown, code?: ErrorCode): err is FaultlineError {
  return err instanceof FaultlineError && (code === undefined || err.code === code);
}

/** Wraps a foreign error at an adapter boundary, keeping the original as `cause`. */
export function wrapError(code: ErrorCode, message: string, cause: unknown, details: Record<string, unknown> = {}): FaultlineError {
  if (cause instanceof FaultlineError) return cause;
  return new FaultlineError(code, `${message}: ${errorText(cause)}`, details, { cause });
}

/**
 * Anything thrown, as a FaultlineError: a FaultlineError is returned as it is; anything else keeps
 * its text, gets `fallbackCode` and the original as `cause`. The fallback is `internal_error`: an
 * error Faultline did not name is not known to be an adapter's. Pass `adapter_error` only where the
 * caller wraps a port call (target, signal, chat, incident) on purpose.
 */
export function asFaultlineError(err: unknown, fallbackCode: ErrorCode = 'internal_error'): FaultlineError {
  if (err instanceof FaultlineError) return err;
  return new FaultlineError(fallbackCode, errorText(err), {}, { cause: err });
}

/** The text of anything thrown: an Error's message, or the value itself as a string. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The most telling text of a network failure: fetch (undici) throws "fetch failed" and puts the real
 * reason (ECONNREFUSED, a DNS failure) in `cause`. Falls back to the error's own message.
 */
export function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return (err.cause as { message?: string } | undefined)?.message ?? err.message;
}
