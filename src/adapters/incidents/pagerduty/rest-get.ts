import { api } from '@pagerduty/pdjs';
import { FaultlineError, errorText } from '../../../core/errors.js';
import { RestError, type PagerDutyConfig } from './schema.js';

export type PdCall = ReturnType<typeof api>;
type PdResponse = Awaited<ReturnType<PdCall['get']>>;

/**
 * The pdjs client every REST reader uses, or undefined without an API token. requestTimeout: 0 —
 * pdjs's own timeout only starts an empty timer (it never aborts); the AbortSignal of each call is
 * what bounds it. pdjs retries a 429 three times after `retryTimeout` (default 20 s, past any sane
 * budget): paced here so the retries fit in ours.
 */
export function pdClient(cfg: Pick<PagerDutyConfig, 'apiToken' | 'requestTimeout'>): PdCall | undefined {
  return cfg.apiToken ? api({ token: cfg.apiToken, requestTimeout: 0, retryTimeout: Math.floor(cfg.requestTimeout / 4) }) : undefined;
}

/** What a REST reader says when no token was configured. */
export function noToken(): FaultlineError {
  return new FaultlineError('adapter_error', 'PagerDuty REST API token is not configured (set PAGERDUTY_API_TOKEN)');
}

export interface PdGet {
  /** Path under the API URL, ids already encoded: `services/P123`, `oncalls`. */
  path: string;
  /** How errors name the call: `GET /services/P123`. */
  label: string;
  /** Array filters under their bracketed keys (`escalation_policy_ids[]`): pdjs sends keys as written. */
  query?: Record<string, string | string[]>;
  /** Bounds the whole call besides `requestTimeout`. */
  signal?: AbortSignal | undefined;
  /** What every error carries in its details (service ids, offset, …). */
  where?: Record<string, unknown>;
}

/** A JSON answer from PagerDuty, 2xx or not: the caller decides what a 404 means. */
export interface PdAnswer {
  ok: boolean;
  status: number;
  data: unknown;
}

/** Rejects as soon as `signal` aborts, whatever the wrapped promise is still waiting for. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  // The call's own rejection (node-fetch's AbortError) may come after ours: it is not left unhandled.
  p.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** PagerDuty's error message and its detail lines, from an error body ('' when there is none). */
export function pagerDutyErrorDetail(data: unknown): string {
  const body = RestError.safeParse(data);
  return body.success ? [body.data.error.message, ...(body.data.error.errors ?? [])].filter(Boolean).join('; ') : '';
}

/** A non-2xx JSON answer as adapter_error, naming the call, the status and PagerDuty's message. */
export function httpFailure(answer: PdAnswer, label: string, where: Record<string, unknown> = {}): FaultlineError {
  const detail = pagerDutyErrorDetail(answer.data);
  return new FaultlineError('adapter_error', `PagerDuty answered HTTP ${answer.status} to ${label}${detail ? `: ${detail}` : ''}`, { ...where, status: answer.status });
}

/**
 * One GET through pdjs, the way the adapter makes every REST call: the full `url` per call (pdjs's
 * `server` cannot name a stand-in or an EU host), bounded by `requestTimeout` and the caller's signal.
 * A timeout, an abort, a network failure or a non-JSON answer throws adapter_error; a JSON answer is
 * returned whatever its status.
 */
export async function pdGet(pd: PdCall, cfg: Pick<PagerDutyConfig, 'apiUrl' | 'requestTimeout'>, req: PdGet): Promise<PdAnswer> {
  const timeout = AbortSignal.timeout(cfg.requestTimeout);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const url = new URL(req.path, cfg.apiUrl.endsWith('/') ? cfg.apiUrl : `${cfg.apiUrl}/`).toString();
  const where = { url, ...req.where };
  let res: PdResponse;
  try {
    // An aborted caller asks nothing.
    if (signal.aborted) throw signal.reason;
    res = await untilAborted(pd.get(req.path, { url, queryParameters: req.query ?? {}, signal }), signal);
  } catch (err) {
    if (timeout.aborted) {
      throw new FaultlineError('adapter_error', `PagerDuty did not answer ${req.label} within ${cfg.requestTimeout} ms`, { ...where, timeout: true }, { cause: err });
    }
    if (req.signal?.aborted) {
      throw new FaultlineError('adapter_error', `PagerDuty ${req.label} aborted by the caller: ${errorText(req.signal.reason)}`, { ...where, aborted: true }, { cause: err });
    }
    // pdjs rejects with the Response itself (not an Error) when a body is not JSON.
    if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') {
      throw new FaultlineError('adapter_error', `PagerDuty answered HTTP ${err.status} to ${req.label} without JSON`, { ...where, status: err.status });
    }
    const reason = err instanceof Error && err.name === 'AbortError' ? 'request aborted' : errorText(err);
    throw new FaultlineError('adapter_error', `PagerDuty ${req.label} failed: ${reason}`, where, { cause: err });
  }
  return { ok: res.ok, status: res.status, data: res.data };
}
