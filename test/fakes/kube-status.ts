import { qualifiedName, type ResourceType } from './kube-resources.js';

/** A metav1.Status body, as the API server sends it for failures (and some successes). */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: Record<string, unknown>;
  code: number;
}

/** Thrown inside the stand-in; the server answers with `status` and `code`. */
export class KubeApiError extends Error {
  constructor(
    readonly status: KubeStatus,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
  }

  get code(): number {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: Record<string, unknown>): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function success(code: number, details?: Record<string, unknown>): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}), code };
}

function fail(code: number, reason: string, message: string, details?: Record<string, unknown>, headers?: Record<string, string>): KubeApiError {
  return new KubeApiError(failure(code, reason, message, details), headers);
}

function detailsFor(t: ResourceType, name: string): Record<string, unknown> {
  // The API server puts the resource (not the kind) in details.kind.
  return { name, ...(t.group ? { group: t.group } : {}), kind: t.plural };
}

export function notFound(t: ResourceType, name: string): KubeApiError {
  return fail(404, 'NotFound', `${qualifiedName(t)} "${name}" not found`, detailsFor(t, name));
}

export function alreadyExists(t: ResourceType, name: string): KubeApiError {
  return fail(409, 'AlreadyExists', `${qualifiedName(t)} "${name}" already exists`, detailsFor(t, name));
}

export function conflict(t: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): KubeApiError {
  return fail(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(t)} "${name}": ${why}`, detailsFor(t, name));
}

export function badRequest(message: string): KubeApiError {
  return fail(400, 'BadRequest', message);
}

/** 422 Invalid with one field cause, worded like the API server's validation errors. */
export function invalid(kind: string, group: string, name: string, field: string, detail: string): KubeApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return fail(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${field}: ${detail}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });
}

export function methodNotAllowed(): KubeApiError {
  return fail(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function unsupportedMediaType(contentType: string | undefined): KubeApiError {
  return fail(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format${contentType ? ` (${contentType})` : ''} - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
  );
}

export function unauthorized(): KubeApiError {
  return fail(401, 'Unauthorized', 'Unauthorized');
}

/** What the API server answers for a path no installed API serves (e.g. a CRD that is not installed). */
export function pathNotFound(): KubeApiError {
  return fail(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function internalError(message: string): KubeApiError {
  return fail(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** A failure injected by `failNext`, shaped like what a real server (or its front proxy) says for that code. */
export function injectedFailure(code: number, t?: ResourceType, name?: string): KubeApiError {
  switch (code) {
    case 400:
      return badRequest('injected bad request (stand-in failNext)');
    case 401:
      return unauthorized();
    case 403:
      return fail(403, 'Forbidden', 'forbidden: injected by the stand-in (failNext)', t ? detailsFor(t, name ?? '') : {});
    case 404:
      return t && name ? notFound(t, name) : pathNotFound();
    case 409:
      return t && name ? conflict(t, name) : fail(409, 'Conflict', 'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again');
    case 410:
      return fail(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    case 429:
      return fail(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: 1 }, { 'Retry-After': '1' });
    case 500:
      return internalError('injected failure (stand-in failNext)');
    case 503:
      return fail(503, 'ServiceUnavailable', 'the server is currently unable to handle the request', {});
    case 504:
      return fail(504, 'Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request', {});
    default:
      return fail(code, '', `injected failure ${code} (stand-in failNext)`);
  }
}
