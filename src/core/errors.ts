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
  'adapter_error',
  'signal_error',
  'inject_failed',
  'revert_failed',
  'store_error',
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
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new FaultlineError(code, `${message}: ${reason}`, details, { cause });
}

/** The text of anything thrown: an Error's message, or the value itself as a string. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
