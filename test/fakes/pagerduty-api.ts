import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StandInOnCalls } from './pagerduty-oncalls.js';

/**
 * A stand-in for PagerDuty's REST API (`GET /incidents`) and Events API v2 (`POST
 * /v2/change/enqueue`), on one loopback port, speaking their wire formats: `Token token=` auth,
 * Rails-style array filters (`service_ids[]`, `statuses[]` — unbracketed keys are ignored, as
 * PagerDuty ignores them), the 30-day default window unless `date_range=all`, classic
 * `limit`/`offset`/`more`/`total` pagination (limit ≤ 100, offset + limit ≤ 10 000). It records
 * every request and can fail or slow down the next ones. `GET /services/{id}` and `GET /oncalls`
 * answer from `oncalls` (users, services and who is on call for which escalation policy and level;
 * see pagerduty-oncalls.ts).
 */

export type StandInStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface RecordedRequest {
  method: string;
  path: string;
  /** Every query value by key, as sent (`service_ids[]` → ['P1', 'P2']). */
  query: Record<string, string[]>;
  authorization?: string;
  accept?: string;
  contentType?: string;
  userAgent?: string;
  body: string;
  at: number;
}

export interface IncidentSeed {
  id?: string;
  title?: string;
  status?: StandInStatus;
  urgency?: 'high' | 'low';
  serviceId: string;
  serviceName?: string;
  createdAt?: number;
}

const HOST = 'https://acme.pagerduty.com';
const API = 'https://api.pagerduty.com';
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ref = (kind: string, path: string, id: string, summary: string) => ({
  id,
  type: `${kind}_reference`,
  summary,
  self: `${API}/${path}/${id}`,
  html_url: `${HOST}/${path === 'services' ? 'service-directory' : path}/${id}`,
});

/** Incidents in the REST API's `incident` shape. */
export class StandInIncidents {
  private readonly byId = new Map<string, Record<string, unknown> & { id: string; status: StandInStatus; created_at: string; service: { id: string } }>();
  private seq = 1;

  addIncident(seed: IncidentSeed): Record<string, unknown> & { id: string } {
    const n = this.seq++;
    const id = seed.id ?? `Q${String(n).padStart(4, '0')}STANDIN`;
    const title = seed.title ?? `incident ${n} on ${seed.serviceId}`;
    const created = seed.createdAt ?? Date.now();
    const service = ref('service', 'services', seed.serviceId, seed.serviceName ?? `service ${seed.serviceId}`);
    const incident = {
      id,
      type: 'incident',
      summary: `[#${n}] ${title}`,
      self: `${API}/incidents/${id}`,
      html_url: `${HOST}/incidents/${id}`,
      incident_number: n,
      title,
      description: title,
      created_at: iso(created),
      updated_at: iso(created),
      status: 'triggered' as StandInStatus,
      incident_key: `key-${id}`,
      service,
      assignments: [],
      assigned_via: 'escalation_policy',
      last_status_change_at: iso(created),
      resolved_at: null as string | null,
      first_trigger_log_entry: { id: `R${id}`, type: 'trigger_log_entry_reference', summary: 'Triggered through the API.', self: `${API}/log_entries/R${id}`, html_url: `${HOST}/incidents/${id}/log_entries/R${id}` },
      alert_counts: { all: 1, triggered: 1, resolved: 0 },
      is_mergeable: true,
      escalation_policy: ref('escalation_policy', 'escalation_policies', 'PEP0001', 'Default'),
      teams: [],
      pending_actions: [],
      acknowledgements: [] as Array<{ at: string; acknowledger: unknown }>,
      basic_alert_grouping: null,
      alert_grouping: null,
      last_status_change_by: service,
      priority: null,
      incidents_responders: [],
      responder_requests: [],
      subscriber_requests: [],
      urgency: seed.urgency ?? 'high',
    };
    this.byId.set(id, incident);
    if (seed.status && seed.status !== 'triggered') this.setStatus(id, seed.status, created);
    return incident;
  }

  setStatus(id: string, status: StandInStatus, at = Date.now()): void {
    const i = this.byId.get(id);
    if (!i) throw new Error(`no incident ${id} in the stand-in`);
    i.status = status;
    i.last_status_change_at = iso(at);
    i.updated_at = iso(at);
    i.acknowledgements = status === 'acknowledged' ? [{ at: iso(at), acknowledger: ref('user', 'users', 'PUSER01', 'Ada Oncall') }] : [];
    i.resolved_at = status === 'resolved' ? iso(at) : null;
  }

  all(): Array<Record<string, unknown> & { id: string; status: StandInStatus; created_at: string; service: { id: string } }> {
    return [...this.byId.values()];
  }

  clear(): void {
    this.byId.clear();
  }
}

interface Trouble {
  status?: number;
  body?: string;
  delayMs?: number;
  times: number;
}

export class PagerDutyStandIn {
  readonly incidents = new StandInIncidents();
  /** Users, services and on-calls behind `GET /services/{id}` and `GET /oncalls`. */
  readonly oncalls = new StandInOnCalls();
  readonly requests: RecordedRequest[] = [];
  /** Bodies of accepted change events, parsed. */
  readonly changeEvents: Array<Record<string, unknown>> = [];
  private readonly trouble: Trouble[] = [];
  /** Trouble for one path only (see `failOn`), looked at before the shared queue. */
  private readonly pathTrouble = new Map<string, Trouble[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly token: string | undefined,
  ) {}

  /** `token`: when given, only `Token token=<token>` is let in; otherwise any non-empty token. */
  static async start(opts: { token?: string } = {}): Promise<PagerDutyStandIn> {
    let standIn: PagerDutyStandIn | undefined;
    const server = createServer((req, res) => void standIn?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new PagerDutyStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, opts.token);
    return standIn;
  }

  /** The next `times` requests answer `status` (default body: PagerDuty's error JSON). */
  failNext(status: number, times = 1, body?: string): void {
    if (times < 1) throw new Error('failNext: times must be at least 1');
    this.trouble.push({ status, times, ...(body !== undefined ? { body } : {}) });
  }

  /**
   * The next `times` requests to `path` (exactly, e.g. '/oncalls') answer `status`; requests to other
   * paths are not affected and leave the shared `failNext` queue as it was.
   */
  failOn(path: string, status: number, times = 1, body?: string): void {
    if (times < 1) throw new Error('failOn: times must be at least 1');
    const queue = this.pathTrouble.get(path) ?? [];
    queue.push({ status, times, ...(body !== undefined ? { body } : {}) });
    this.pathTrouble.set(path, queue);
  }

  /** The next `times` requests are answered normally (to fail, say, only the second page). */
  passNext(times = 1): void {
    this.trouble.push({ times });
  }

  /** The next `times` requests are answered normally, but only after `delayMs`. */
  slowNext(delayMs: number, times = 1): void {
    this.trouble.push({ delayMs, times });
  }

  /** Forgets incidents, on-calls (users, services), recorded requests, change events and queued trouble. */
  reset(): void {
    this.incidents.clear();
    this.oncalls.clear();
    this.requests.length = 0;
    this.changeEvents.length = 0;
    this.trouble.length = 0;
    this.pathTrouble.clear();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://stand-in');
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: u.pathname, query, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
    const headers = [['authorization', 'authorization'], ['accept', 'accept'], ['contentType', 'content-type'], ['userAgent', 'user-agent']] as const;
    for (const [key, name] of headers) {
      const v = req.headers[name];
      if (typeof v === 'string') recorded[key] = v;
    }
    this.requests.push(recorded);

    const queue = this.pathTrouble.get(u.pathname)?.length ? this.pathTrouble.get(u.pathname)! : this.trouble;
    const trouble = queue[0];
    if (trouble) {
      trouble.times -= 1;
      if (trouble.times <= 0) queue.shift();
      if (trouble.delayMs) await new Promise((r) => setTimeout(r, trouble.delayMs));
      if (trouble.status) {
        if (res.destroyed) return;
        const body = trouble.body ?? JSON.stringify({ error: { message: trouble.status >= 500 ? 'Internal Server Error' : 'Error', code: 2000 } });
        res.writeHead(trouble.status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/html' });
        res.end(body);
        return;
      }
    }
    if (res.destroyed) return;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && u.pathname === '/incidents') return this.listIncidents(req, u, send);
    if (req.method === 'POST' && u.pathname === '/v2/change/enqueue') return this.changeEvent(recorded.body, send);
    if (req.method === 'GET' && /^\/services\/[^/]+$/.test(u.pathname)) return this.restAnswer(req, send, () => this.oncalls.service(decodeURIComponent(u.pathname.slice('/services/'.length))));
    if (req.method === 'GET' && u.pathname === '/oncalls') return this.restAnswer(req, send, () => this.oncalls.list(u.searchParams));
    send(404, { error: { message: 'Not Found', code: 2100 } });
  }

  private listIncidents(req: IncomingMessage, u: URL, send: (status: number, body: unknown) => void): void {
    const auth = /^Token token=(.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || (this.token !== undefined && auth[1] !== this.token)) return send(401, { error: { message: 'Authentication failed', code: 2006 } });
    const q = u.searchParams;
    const limit = Math.min(100, Math.max(1, Number(q.get('limit') ?? 25) || 25));
    const offset = Math.max(0, Number(q.get('offset') ?? 0) || 0);
    if (offset + limit > 10_000) return send(400, { error: { message: 'Invalid Input Provided', code: 2001, errors: ['Offset must be less than 10000.'] } });
    const services = q.getAll('service_ids[]');
    const statuses = q.getAll('statuses[]');
    const since = q.get('date_range') === 'all' ? -Infinity : Date.parse(q.get('since') ?? '') || Date.now() - 30 * DAY_MS;
    const matching = this.incidents
      .all()
      .filter((i) => (services.length === 0 || services.includes(i.service.id)) && (statuses.length === 0 || statuses.includes(i.status)) && Date.parse(i.created_at) >= since);
    send(200, {
      incidents: matching.slice(offset, offset + limit),
      limit,
      offset,
      more: offset + limit < matching.length,
      total: q.get('total') === 'true' ? matching.length : null,
    });
  }

  /** A REST answer behind the same token check as `GET /incidents`. */
  private restAnswer(req: IncomingMessage, send: (status: number, body: unknown) => void, answer: () => { status: number; body: unknown }): void {
    const auth = /^Token token=(.+)$/.exec(req.headers.authorization ?? '');
    if (!auth || (this.token !== undefined && auth[1] !== this.token)) return send(401, { error: { message: 'Authentication failed', code: 2006 } });
    const { status, body } = answer();
    send(status, body);
  }

  private changeEvent(raw: string, send: (status: number, body: unknown) => void): void {
    const invalid = (why: string) => send(400, { status: 'invalid event', message: 'Event object is invalid', errors: [why] });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return invalid('Malformed JSON');
    }
    if (typeof body.routing_key !== 'string' || body.routing_key === '') return invalid("'routing_key' is missing or blank");
    const payload = body.payload as { summary?: unknown } | undefined;
    if (typeof payload?.summary !== 'string' || payload.summary === '') return invalid("'payload.summary' is missing or blank");
    if (payload.summary.length > 1024) return invalid("'payload.summary' is longer than 1024 characters");
    this.changeEvents.push(body);
    send(202, { status: 'success', message: 'Change event processed' });
  }
}
