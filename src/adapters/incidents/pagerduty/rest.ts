import { FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { RestIncidentPage, type Incident, type PagerDutyConfig } from './schema.js';
import { httpFailure, noToken, pdClient, pdGet, type PdCall } from './rest-get.js';

type RestIncident = RestIncidentPage['incidents'][number];

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
    this.pd = pdClient(cfg);
  }

  /** Triggered and acknowledged incidents on these services, every page of them. */
  async openIncidents(serviceIds: readonly string[], signal?: AbortSignal): Promise<Incident[]> {
    if (!this.pd) throw noToken();
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
    const where = { offset, services: serviceIds.length };
    const answer = await pdGet(pd, this.cfg, {
      path: 'incidents',
      label: 'GET /incidents',
      // pdjs repeats an array value under the key as written, so the brackets must be spelled.
      query: {
        'service_ids[]': [...serviceIds],
        'statuses[]': ['triggered', 'acknowledged'],
        // Without it PagerDuty only lists incidents created in the last 30 days.
        date_range: 'all',
        limit: String(PAGE_LIMIT),
        offset: String(offset),
      },
      signal: outer,
      where,
    });
    if (!answer.ok) throw httpFailure(answer, 'GET /incidents', where);
    const parsed = RestIncidentPage.safeParse(answer.data);
    if (!parsed.success) {
      throw new FaultlineError('adapter_error', `PagerDuty GET /incidents answered an unexpected shape:\n${formatIssues(parsed.error.issues)}`, where);
    }
    return parsed.data;
  }
}
