/**
 * AWS errors as Faultline says them: the service's error code, its message and the request id
 * (what AWS support asks for), never a stack. Throttling never gets here: the SDK's standard retry
 * mode retries it (up to `maxAttempts`).
 */
import { FaultlineError, isFaultlineError, type ErrorCode } from '../../../core/errors.js';

interface AwsErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { requestId?: string; httpStatusCode?: number; extendedRequestId?: string };
}

const shape = (err: unknown): AwsErrorShape => (err && typeof err === 'object' ? (err as AwsErrorShape) : {});

/** The AWS error code (`UnauthorizedOperation`, `InvalidInstanceID.NotFound`, …), or undefined for a non-AWS error. */
export function awsErrorCode(err: unknown): string | undefined {
  const e = shape(err);
  if (e.$metadata === undefined) return undefined;
  return e.Code ?? e.name;
}

export function requestIdOf(err: unknown): string | undefined {
  return shape(err).$metadata?.requestId;
}

/** "UnauthorizedOperation: You are not authorized … (request id 5f3c…)". */
export function describeAwsError(err: unknown): string {
  if (err instanceof FaultlineError) return err.message;
  const e = shape(err);
  const code = awsErrorCode(err);
  const message = (e.message ?? String(err)).split('\n')[0] ?? '';
  const id = requestIdOf(err);
  const status = e.$metadata?.httpStatusCode;
  if (code === undefined) {
    const cause = (err as { cause?: { message?: string } } | undefined)?.cause?.message;
    return cause && cause !== message ? `${message} (${cause})` : message;
  }
  const parts = [id ? `request id ${id}` : undefined, status ? `HTTP ${status}` : undefined].filter((p) => p !== undefined).join(', ');
  return `${code}: ${message}${parts ? ` (${parts})` : ''}`;
}

/** Wraps a failed AWS call: `<what>: <code>: <message> (request id …)`, the original as `cause`. */
export function awsError(what: string, err: unknown, code: ErrorCode = 'adapter_error', details: Record<string, unknown> = {}): FaultlineError {
  if (isFaultlineError(err)) return err;
  const awsCode = awsErrorCode(err);
  const requestId = requestIdOf(err);
  return new FaultlineError(code, `${what}: ${describeAwsError(err)}`, { ...details, ...(awsCode ? { awsCode } : {}), ...(requestId ? { requestId } : {}) }, { cause: err });
}

/** Whether the call was refused for want of permission (EC2 and Auto Scaling spell it differently). */
export function isPermissionError(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code === 'UnauthorizedOperation' || code === 'AccessDenied' || code === 'AccessDeniedException' || code === 'AuthFailure';
}
