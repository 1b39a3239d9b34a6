import { api } from '@pagerduty/pdjs';
import { FaultlineError, errorText } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { RestError, RestIncidentPage, type Incident, type PagerDutyConfig } from './schema.js';

type RestIncident = RestIncidentPage['incidents'][number];
type PdCall = ReturnType<typeof api>;
type PdResponse = Awaited<ReturnType<PdCall['get']>>;

const PAGE_LIMIT = 100;
/** PagerDuty refuses `offset + limit` above 10 000 for classic pagination. */
const MAX_RECORDS = 10_000;

function toIncident(i: RestIncident): Incident {
  const acks = i.acknowledgements.map((a) => a.at);
  return {
    id: i.id,
    ...(i.incident_number !== undefined ? { number: i.incident_number } : {}),
    title: i.title,
    status: i.status,
    urgency: i.urgency,
    url: i.html_url,
    serviceId: i.service.id,
    ...(i.service.summary !== undefined ? { serviceName: i.service.summary } : {}),
    createdAt: i.created_at,
    acknowledgedAt: i.status === 'triggered' ? null : acks.length > 0 ? Math.min(...acks) : (i.last_status_change_at ?? null),
    resolvedAt: i.status === 'resolved' ? (i.resolved_at ?? i.last_status_change_at ?? null) : null,
  };
}

/** Rejects as soon as `signal` aborts, whatever the wrapped promise is still waiting for. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
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

/**
 * Read-only REST access through pdjs: the open incidents on some services, for the incident gate
 * and the polling fallback. Throws FaultlineError('adapter_error') on any failure — a gate that
 * cannot see PagerDuty must not read that as "no incidents".
 */
export class PagerDutyRest {
  private readonly pd: PdCall | undefined;

  constructor(
    private readonly cfg: PagerDutyConfig,
    private readonly log: AdapterLogger,
  ) {
    // requestTimeout: 0 — pdjs's own timeout only starts an empty timer (it never aborts); the
    // AbortSignal below is what bounds a request. pdjs retries a 429 three times after
    // `retryTimeout` (default 20 s, past any sane budget): pace it so the retries fit in ours.
    this.pd = cfg.apiToken ? api({ token: cfg.apiToken, requestTimeout: 0, retryTimeout: Math.floor(cfg.requestTimeout / 4) }) : undefined;
  }

  /** Triggered and acknowledged incidents on these services, every page of them. */
  async openIncidents(serviceIds: readonly string[], signal?: AbortSignal): Promise<Incident[]> {
    if (!this.pd) throw new FaultlineError('adapter_error', 'PagerDuty REST API token is not configured (set PAGERDUTY_API_TOKEN)');
    if (serviceIds.length === 0) return [];
    const byId = new Map<string, Incident>();
    let offset = 0;
    for (;;) {
      const page = await this.page(this.pd, serviceIds, offset, signal);
      // Offset pages can overlap when incidents change between requests; ids keep the list unique.
      for (const i of page.incidents) byId.set(i.id, toIncident(i));
      if (!page.more || page.incidents.length === 0) break;
      offset = page.offset + page.limit;
      if (offset + PAGE_LIMIT > MAX_RECORDS) {
        this.log.warn({ services: serviceIds.length, read: byId.size }, 'pagerduty open incidents truncated at 10000');
        break;
      }
    }
    return [...byId.values()];
  }

  private async page(pd: PdCall, serviceIds: readonly string[], offset: number, outer?: AbortSignal): Promise<RestIncidentPage> {
    const timeout = AbortSignal.timeout(this.cfg.requestTimeout);
    const signal = outer ? AbortSignal.any([timeout, outer]) : timeout;
    const url = new URL('incidents', this.cfg.apiUrl.endsWith('/') ? this.cfg.apiUrl : `${this.cfg.apiUrl}/`).toString();
    const where = { url, offset, services: serviceIds.length };
    let res: PdResponse;
    try {
      const call = pd.get('incidents', {
        url,
        // pdjs repeats an array value under the key as written, so the brackets must be spelled.
        queryParameters: {
          'service_ids[]': [...serviceIds],
          'statuses[]': ['triggered', 'acknowledged'],
          // Without it PagerDuty only lists incidents created in the last 30 days.
          date_range: 'all',
          limit: String(PAGE_LIMIT),
          offset: String(offset),
        },
        signal,
      });
      // A call given up on (aborted) may still reject later: that rejection is moot, not unhandled.
      call.catch(() => undefined);
      res = await untilAborted(call, signal);
    } catch (err) {
      throw this.failure(err, timeout.aborted, where);
    }
    if (!res.ok) {
      const body = RestError.safeParse(res.data);
      const detail = body.success ? [body.data.error.message, ...(body.data.error.errors ?? [])].filter(Boolean).join('; ') : '';
      throw new FaultlineError('adapter_error', `PagerDuty answered HTTP ${res.status} to GET /incidents${detail ? `: ${detail}` : ''}`, { ...where, status: res.status });
    }
    const parsed = RestIncidentPage.safeParse(res.data);
    if (!parsed.success) {
      throw new FaultlineError('adapter_error', `PagerDuty GET /incidents answered an unexpected shape:\n${formatIssues(parsed.error.issues)}`, where);
    }
    return parsed.data;
  }

  private failure(err: unknown, timedOut: boolean, where: Record<string, unknown>): FaultlineError {
    if (timedOut) {
      return new FaultlineError('adapter_error', `PagerDuty did not answer GET /incidents within ${this.cfg.requestTimeout} ms`, { ...where, timeout: true }, { cause: err });
    }
    // pdjs rejects with the Response itself (not an Error) when a body is not JSON.
    if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') {
      return new FaultlineError('adapter_error', `PagerDuty answered HTTP ${err.status} to GET /incidents without JSON`, { ...where, status: err.status });
    }
    const name = err instanceof Error ? err.name : '';
    const reason = name === 'AbortError' ? 'request aborted' : errorText(err);
    return new FaultlineError('adapter_error', `PagerDuty GET /incidents failed: ${reason}`, where, { cause: err });
  }
}
