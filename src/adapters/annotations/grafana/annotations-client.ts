import { causeText, FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import { AnnotationAdded, type CreateAnnotation, type GrafanaConfig, type PatchAnnotation } from './schema.js';

/**
 * Why a call to Grafana failed, stable for logs and tests: `unauthorized` (401: no or a wrong
 * token), `forbidden` (403: the token may not create or write annotations), `refused` (another 4xx:
 * a body Grafana will not take), `not_found` (404: the annotation to patch is gone), `rate_limited`
 * (429), `unavailable` (5xx), `timeout`, `network` (no connection), `bad_answer` (a 2xx that does
 * not read as Grafana's).
 */
export type GrafanaFailure = 'unauthorized' | 'forbidden' | 'refused' | 'not_found' | 'rate_limited' | 'unavailable' | 'timeout' | 'network' | 'bad_answer';

/** A failed call, wrapped at the adapter boundary: code `adapter_error`, the failure in `details`. */
export class GrafanaRequestError extends FaultlineError {
  constructor(
    readonly failure: GrafanaFailure,
    message: string,
    readonly status: number | undefined,
    readonly attempts: number,
    cause?: unknown,
  ) {
    super('adapter_error', message, { failure, ...(status !== undefined ? { status } : {}), attempts }, cause === undefined ? undefined : { cause });
    this.name = 'GrafanaRequestError';
  }
}

/** Worth another try: Grafana said "later" (429), had trouble (5xx), or could not be reached at all. */
const RETRIED: ReadonlySet<GrafanaFailure> = new Set(['rate_limited', 'unavailable', 'network']);

function failureOf(status: number): GrafanaFailure {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'unavailable';
  return 'refused';
}

/** `Retry-After` in seconds (Grafana and proxies in front of it send seconds), as ms; undefined otherwise. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header || !/^\d+$/.test(header.trim())) return undefined;
  return Number(header.trim()) * 1000;
}

export interface GrafanaClientDeps {
  /** Waits between tries; the timer is unref'd, so a retry never keeps the process alive. */
  sleep?: (ms: number) => Promise<void>;
}

const unrefSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });

/**
 * Grafana's annotations API (`POST /api/annotations`, `PATCH /api/annotations/:id`) with a bearer
 * service-account token. Each request is bounded by `timeout`; a 429, a 5xx or a refused connection
 * is tried `retries` more times after `retryBackoff`, doubled each time (a 429's `Retry-After` is
 * honoured up to `timeout`). A timeout is not retried: Grafana may have stored what it was sent, and
 * a second try could draw the same annotation twice. Every failure rejects with GrafanaRequestError.
 */
export class GrafanaAnnotationsClient {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly cfg: GrafanaConfig,
    deps: GrafanaClientDeps = {},
  ) {
    this.sleep = deps.sleep ?? unrefSleep;
  }

  /** Creates an annotation (a region when `timeEnd` is given) and returns Grafana's id of it. */
  async create(body: CreateAnnotation): Promise<number> {
    const answer = await this.request('POST', 'api/annotations', body);
    const parsed = AnnotationAdded.safeParse(answer.json);
    if (!parsed.success) {
      throw new GrafanaRequestError('bad_answer', `grafana answered ${answer.status} without an annotation id: ${formatIssues(parsed.error.issues)}`, answer.status, answer.attempts);
    }
    return parsed.data.id;
  }

  /** Changes the given fields of annotation `id` (Grafana keeps the others). */
  async patch(id: number, body: PatchAnnotation): Promise<void> {
    await this.request('PATCH', `api/annotations/${id}`, body);
  }

  private async request(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<{ status: number; json: unknown; attempts: number }> {
    const base = this.cfg.url.endsWith('/') ? this.cfg.url : `${this.cfg.url}/`;
    const url = new URL(path, base);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(method, url, body, attempt);
      if (!(outcome instanceof GrafanaRequestError)) return { ...outcome, attempts: attempt };
      if (!RETRIED.has(outcome.failure) || attempt > this.cfg.retries) throw outcome;
      const backoff = this.cfg.retryBackoff * 2 ** (attempt - 1);
      await this.sleep(outcome.failure === 'rate_limited' && outcome.retryAfter !== undefined ? Math.min(outcome.retryAfter, this.cfg.timeout) : backoff);
    }
  }

  private async once(method: string, url: URL, body: unknown, attempt: number): Promise<{ status: number; json: unknown } | (GrafanaRequestError & { retryAfter?: number })> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.cfg.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.cfg.timeout),
      });
      // The same signal bounds reading the body: a Grafana that sends headers and then stalls times out too.
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      return timedOut
        ? new GrafanaRequestError('timeout', `grafana gave no answer within ${this.cfg.timeout} ms`, undefined, attempt, err)
        : new GrafanaRequestError('network', `grafana could not be reached: ${causeText(err)}`, undefined, attempt, err);
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (res.ok) return { status: res.status, json };
    const said = (json as { message?: unknown } | undefined)?.message;
    const failure = failureOf(res.status);
    const error: GrafanaRequestError & { retryAfter?: number } = new GrafanaRequestError(
      failure,
      `grafana answered ${res.status}${typeof said === 'string' ? `: ${said.slice(0, 200)}` : ''}`,
      res.status,
      attempt,
    );
    const after = retryAfterMs(res.headers.get('retry-after'));
    if (after !== undefined) error.retryAfter = after;
    return error;
  }
}
