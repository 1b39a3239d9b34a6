import { FaultlineError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AdapterLogger, OnCallDirectory } from '../../../core/ports.js';
import { httpFailure, noToken, pdClient, pdGet, type PdCall } from './rest-get.js';
import { RestOnCallPage, RestService, type OnCall, type PagerDutyConfig, type RestOnCall } from './schema.js';

const PAGE_LIMIT = 100;
/** PagerDuty refuses `offset + limit` above 10 000 for classic pagination. */
const MAX_RECORDS = 10_000;

interface LinkedService {
  id: string;
  name: string | undefined;
  policyId: string;
}

/** Two entries for the same person, service and level are one: on call until the later end (none: for good). */
function laterUntil(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

function toOnCall(service: LinkedService, entry: RestOnCall): OnCall {
  const u = entry.user;
  return {
    serviceId: service.id,
    ...(service.name !== undefined ? { serviceName: service.name } : {}),
    userId: u.id,
    name: u.name ?? u.summary ?? u.id,
    ...(u.email !== undefined ? { email: u.email } : {}),
    escalationLevel: entry.escalation_level,
    ...(entry.end !== null && entry.end !== undefined ? { until: entry.end } : {}),
  };
}

/**
 * Per service, the on-calls at the lowest escalation level anyone holds now: level 1 — unless nobody
 * is on call there, in which case PagerDuty pages the next level at once, so that level answers first.
 */
export function firstResponders(oncalls: readonly OnCall[]): OnCall[] {
  const lowest = new Map<string, number>();
  for (const o of oncalls) lowest.set(o.serviceId, Math.min(lowest.get(o.serviceId) ?? Infinity, o.escalationLevel));
  return oncalls.filter((o) => o.escalationLevel === lowest.get(o.serviceId));
}

/**
 * Who is on call now for some PagerDuty services, through pdjs: for each service its escalation
 * policy (`GET /services/{id}`), then the current on-calls of those policies (`GET /oncalls` with
 * `earliest=true` and `include[]=users` for each user's email, every page). Read-only; throws
 * FaultlineError('adapter_error') on any failure, an unknown service named in the message.
 */
export class PagerDutyOnCalls implements OnCallDirectory {
  private readonly pd: PdCall | undefined;

  constructor(
    private readonly cfg: PagerDutyConfig,
    private readonly log: AdapterLogger,
  ) {
    this.pd = pdClient(cfg);
  }

  /**
   * Everyone on call now for these services, every escalation level, ordered by service (as given),
   * then level, then name. A service with nobody on call adds nothing to the list.
   */
  async forServices(serviceIds: readonly string[], signal?: AbortSignal): Promise<OnCall[]> {
    if (!this.pd) throw noToken();
    const ids = [...new Set(serviceIds)];
    if (ids.length === 0) return [];
    const blank = ids.find((id) => id.trim() === '');
    if (blank !== undefined) throw new FaultlineError('adapter_error', 'a PagerDuty service id is empty', { serviceIds: ids });
    // One service after the other: a handful per run, and an error names the first that failed.
    const services: LinkedService[] = [];
    for (const id of ids) services.push(await this.service(this.pd, id, signal));
    const entries = await this.onCallsOf(this.pd, [...new Set(services.map((s) => s.policyId))], signal);

    const found = new Map<string, OnCall>();
    for (const service of services) {
      for (const entry of entries.filter((e) => e.escalation_policy.id === service.policyId)) {
        const oncall = toOnCall(service, entry);
        const key = `${service.id}\u0000${oncall.userId}\u0000${oncall.escalationLevel}`;
        const seen = found.get(key);
        if (seen) {
          const until = laterUntil(seen.until, oncall.until);
          if (until === undefined) delete seen.until;
          else seen.until = until;
        } else found.set(key, oncall);
      }
      if (!entries.some((e) => e.escalation_policy.id === service.policyId)) {
        this.log.debug({ serviceId: service.id, escalationPolicyId: service.policyId }, 'pagerduty: nobody on call for a service');
      }
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    const list = [...found.values()].sort(
      (a, b) => order.get(a.serviceId)! - order.get(b.serviceId)! || a.escalationLevel - b.escalationLevel || a.name.localeCompare(b.name),
    );
    this.log.debug({ services: ids.length, policies: new Set(services.map((s) => s.policyId)).size, oncalls: list.length }, 'pagerduty on-calls read');
    return list;
  }

  /** The on-call handshake's directory: per service, who PagerDuty pages first now (see `firstResponders`). */
  async firstResponders(serviceIds: readonly string[], signal?: AbortSignal): ReturnType<OnCallDirectory['firstResponders']> {
    return firstResponders(await this.forServices(serviceIds, signal)).map((o) => ({
      serviceId: o.serviceId,
      ...(o.serviceName !== undefined ? { serviceName: o.serviceName } : {}),
      userId: o.userId,
      name: o.name,
      ...(o.email !== undefined ? { email: o.email } : {}),
    }));
  }

  private async service(pd: PdCall, id: string, signal?: AbortSignal): Promise<LinkedService> {
    const label = `GET /services/${id}`;
    const where = { serviceId: id };
    const answer = await pdGet(pd, this.cfg, { path: `services/${encodeURIComponent(id)}`, label, signal, where });
    if (answer.status === 404) {
      throw new FaultlineError('adapter_error', `PagerDuty has no service ${id} (HTTP 404 to ${label}): check the service id`, { ...where, status: 404, unknownService: true });
    }
    if (!answer.ok) throw httpFailure(answer, label, where);
    const parsed = RestService.safeParse(answer.data);
    if (!parsed.success) throw new FaultlineError('adapter_error', `PagerDuty ${label} answered an unexpected shape:\n${formatIssues(parsed.error.issues)}`, where);
    const s = parsed.data.service;
    return { id, name: s.name ?? s.summary, policyId: s.escalation_policy.id };
  }

  /** The current on-calls of these escalation policies, every page of them. */
  private async onCallsOf(pd: PdCall, policyIds: readonly string[], signal?: AbortSignal): Promise<RestOnCall[]> {
    const all: RestOnCall[] = [];
    let offset = 0;
    for (;;) {
      const where = { escalationPolicyIds: policyIds, offset };
      const answer = await pdGet(pd, this.cfg, {
        path: 'oncalls',
        label: 'GET /oncalls',
        // since/until left out: both default to now, so these are the on-calls in effect now.
        query: {
          'escalation_policy_ids[]': [...policyIds],
          'include[]': ['users'],
          earliest: 'true',
          limit: String(PAGE_LIMIT),
          offset: String(offset),
        },
        signal,
        where,
      });
      if (!answer.ok) throw httpFailure(answer, 'GET /oncalls', where);
      const parsed = RestOnCallPage.safeParse(answer.data);
      if (!parsed.success) throw new FaultlineError('adapter_error', `PagerDuty GET /oncalls answered an unexpected shape:\n${formatIssues(parsed.error.issues)}`, where);
      const page = parsed.data;
      all.push(...page.oncalls);
      if (!page.more || page.oncalls.length === 0) return all;
      offset = page.offset + page.limit;
      if (offset + PAGE_LIMIT > MAX_RECORDS) {
        this.log.warn({ policies: policyIds.length, read: all.length }, 'pagerduty on-calls truncated at 10000');
        return all;
      }
    }
  }
}
