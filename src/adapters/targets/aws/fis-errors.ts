/**
 * AWS errors at the FIS family's boundary: wrapped with their code and request id (what AWS support
 * asks for), never a stack trace; the SDK's own error stays as `cause` for the log.
 */
import { FaultlineError, errorText, wrapError, type ErrorCode } from '../../../core/errors.js';

export interface AwsErrorParts {
  /** The service's error code (ValidationException, ThrottlingException) or the SDK's error name. */
  code: string;
  requestId?: string;
  httpStatus?: number;
  message: string;
}

/** Code, request id and HTTP status of what the SDK threw (a service error carries `$metadata`). */
export function awsErrorParts(err: unknown): AwsErrorParts {
  if (!(err instanceof Error)) return { code: 'Unknown', message: String(err) };
  const meta = (err as { $metadata?: { requestId?: string; httpStatusCode?: number } }).$metadata;
  const code = (err as { Code?: string }).Code ?? err.name;
  return {
    code: code || 'Error',
    message: err.message,
    ...(meta?.requestId ? { requestId: meta.requestId } : {}),
    ...(meta?.httpStatusCode !== undefined ? { httpStatus: meta.httpStatusCode } : {}),
  };
}

/** Whether `err` is the service error `code` (e.g. ResourceNotFoundException). */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  return !(err instanceof FaultlineError) && err instanceof Error && codes.includes(awsErrorParts(err).code);
}

/** `what (Code, request id …): message`, coded for Faultline. A FaultlineError passes through unchanged. */
export function wrapAwsError(code: ErrorCode, what: string, err: unknown, details: Record<string, unknown> = {}): FaultlineError {
  if (err instanceof FaultlineError) return err;
  const p = awsErrorParts(err);
  const where = p.requestId ? `${p.code}, request id ${p.requestId}` : p.code;
  return wrapError(code, `${what} (${where})`, err, { ...details, awsCode: p.code, ...(p.requestId ? { requestId: p.requestId } : {}), ...(p.httpStatus !== undefined ? { httpStatus: p.httpStatus } : {}) });
}

export { errorText };
