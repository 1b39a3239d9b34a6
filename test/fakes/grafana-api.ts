import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Grafana's annotations HTTP API on a loopback port, speaking its wire format:
 * `POST /api/annotations` (200 `{"message":"Annotation added","id":N}`; 400 "bad request data" for a
 * body that does not bind, "Failed to save annotation" without `text`), `PATCH /api/annotations/:id`
 * (only the fields given change, as Grafana's PatchAnnotation does: tags when present, text when
 * non-empty, time and timeEnd when > 0; 404 for an unknown id), `GET /api/annotations` (`tags`
 * repeated for AND, `from`/`to` overlap, `limit`, `dashboardUID`, newest first). Every call needs
 * `Authorization: Bearer <token>`: 401 without it or with another token. It records every request
 * and can fail (`failNext`: 500, 429 with Retry-After, …) or never answer (`hangNext`, or `hang`).
 */

export interface GrafanaRequest {
  method: string;
  path: string;
  query: Record<string, string[]>;
  authorization?: string;
  contentType?: string;
  body: string;
  at: number;
}

/** An annotation as `GET /api/annotations` returns it. */
export interface StoredAnnotation {
  id: number;
  alertId: number;
  dashboardId: number;
  dashboardUID: string;
  panelId: number;
  userId: number;
  newState: string;
  prevState: string;
  created: number;
  updated: number;
  time: number;
  timeEnd: number;
  text: string;
  tags: string[];
  login: string;
  email: string;
  avatarUrl: string;
  data: Record<string, unknown>;
}

interface Trouble {
  status?: number;
  body?: unknown;
  retryAfter?: number;
  hang?: boolean;
  times: number;
}

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const isStringArray = (v: unknown) => Array.isArray(v) && v.every((t) => typeof t === 'string');

export class GrafanaStandIn {
  readonly requests: GrafanaRequest[] = [];
  readonly annotations: StoredAnnotation[] = [];
  private readonly trouble: Trouble[] = [];
  private readonly hung = new Set<ServerResponse>();
  private seq = 1;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    private readonly hangAll: boolean,
  ) {}

  /** `hang`: never answer anything (a Grafana that accepts connections and then stalls). */
  static async start(opts: { token?: string; hang?: boolean } = {}): Promise<GrafanaStandIn> {
    let standIn: GrafanaStandIn | undefined;
    const server = createServer((req, res) => void standIn?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    standIn = new GrafanaStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, opts.token ?? 'glsa_standin_token', opts.hang ?? false);
    return standIn;
  }

  /** The next `times` requests answer `status` (default body: Grafana's `{"message": …}`); a 429 may say Retry-After (seconds). */
  failNext(status: number, times = 1, opts: { body?: unknown; retryAfter?: number } = {}): void {
    if (times < 1) throw new Error('failNext: times must be at least 1');
    this.trouble.push({ status, times, ...opts });
  }

  /** The next `times` requests are recorded and never answered. */
  hangNext(times = 1): void {
    this.trouble.push({ hang: true, times });
  }

  /** Requests that are being held without an answer. */
  get hanging(): number {
    return this.hung.size;
  }

  /** Annotations carrying every one of `tags`. */
  withTags(...tags: string[]): StoredAnnotation[] {
    return this.annotations.filter((a) => tags.every((t) => a.tags.includes(t)));
  }

  /** Forgets requests, annotations (ids start at 1 again) and queued trouble. */
  reset(): void {
    this.seq = 1;
    this.requests.length = 0;
    this.annotations.length = 0;
    this.trouble.length = 0;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://stand-in');
    const query: Record<string, string[]> = {};
    for (const [k, v] of u.searchParams) (query[k] ??= []).push(v);
    const recorded: GrafanaRequest = { method: req.method ?? 'GET', path: u.pathname, query, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
    if (typeof req.headers.authorization === 'string') recorded.authorization = req.headers.authorization;
    if (typeof req.headers['content-type'] === 'string') recorded.contentType = req.headers['content-type'];
    this.requests.push(recorded);

    const send: Send = (status, body, headers = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const trouble = this.hangAll ? { hang: true, times: Infinity } : this.trouble[0];
    if (trouble) {
      trouble.times -= 1;
      if (trouble.times <= 0) this.trouble.shift();
      if (trouble.hang) {
        this.hung.add(res);
        res.once('close', () => this.hung.delete(res));
        return;
      }
      if (trouble.status) {
        const body = trouble.body ?? { message: trouble.status === 429 ? 'Too many requests' : trouble.status >= 500 ? 'Failed to save annotation' : 'Error' };
        return send(trouble.status, body, trouble.retryAfter !== undefined ? { 'retry-after': String(trouble.retryAfter) } : {});
      }
    }
    const auth = req.headers.authorization;
    if (!auth) return send(401, { message: 'Unauthorized' });
    if (auth !== `Bearer ${this.token}`) return send(401, { message: 'Invalid API key', messageId: 'api-key.invalid', statusCode: 401, traceID: '' });

    const byId = /^\/api\/annotations\/([^/]+)$/.exec(u.pathname);
    if (u.pathname === '/api/annotations' && req.method === 'POST') return this.create(recorded.body, send);
    if (u.pathname === '/api/annotations' && req.method === 'GET') return this.find(u.searchParams, send);
    if (byId && req.method === 'PATCH') return this.patch(byId[1]!, recorded.body, send);
    send(404, { message: 'Not found' });
  }

  private parse(raw: string): Record<string, unknown> | undefined {
    try {
      const body = JSON.parse(raw) as unknown;
      return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** What Grafana's JSON binding refuses: a field of the wrong type. */
  private bindable(b: Record<string, unknown>): boolean {
    for (const k of ['time', 'timeEnd', 'panelId', 'dashboardId']) if (b[k] !== undefined && !isInt(b[k])) return false;
    for (const k of ['text', 'dashboardUID']) if (b[k] !== undefined && typeof b[k] !== 'string') return false;
    return b.tags === undefined || b.tags === null || isStringArray(b.tags);
  }

  private create(raw: string, send: Send): void {
    const b = this.parse(raw);
    if (!b || !this.bindable(b)) return send(400, { message: 'bad request data' });
    if (typeof b.text !== 'string' || b.text === '') return send(400, { message: 'Failed to save annotation' });
    const now = Date.now();
    const time = (b.time as number | undefined) || now;
    const a: StoredAnnotation = {
      id: this.seq++,
      alertId: 0,
      dashboardId: 0,
      dashboardUID: (b.dashboardUID as string | undefined) ?? '',
      panelId: (b.panelId as number | undefined) ?? 0,
      userId: 2,
      newState: '',
      prevState: '',
      created: now,
      updated: now,
      time,
      timeEnd: (b.timeEnd as number | undefined) || time,
      text: b.text,
      tags: (b.tags as string[] | undefined) ?? [],
      login: 'sa-faultline',
      email: 'sa-faultline',
      avatarUrl: '/avatar/0',
      data: {},
    };
    this.annotations.push(a);
    send(200, { message: 'Annotation added', id: a.id });
  }

  private patch(rawId: string, raw: string, send: Send): void {
    const b = this.parse(raw);
    if (!b || !this.bindable(b)) return send(400, { message: 'bad request data' });
    if (!/^\d+$/.test(rawId)) return send(400, { message: 'annotationId is invalid' });
    const a = this.annotations.find((x) => x.id === Number(rawId));
    if (!a) return send(404, { message: 'Annotation not found' });
    if (Array.isArray(b.tags)) a.tags = b.tags as string[];
    if (typeof b.text === 'string' && b.text !== '') a.text = b.text;
    if (typeof b.time === 'number' && b.time > 0) a.time = b.time;
    if (typeof b.timeEnd === 'number' && b.timeEnd > 0) a.timeEnd = b.timeEnd;
    a.updated = Date.now();
    send(200, { message: 'Annotation patched' });
  }

  private find(q: URLSearchParams, send: Send): void {
    const tags = q.getAll('tags');
    const from = Number(q.get('from') ?? 0) || 0;
    const to = Number(q.get('to') ?? 0) || Infinity;
    const limit = Number(q.get('limit') ?? 100) || 100;
    const dashboard = q.get('dashboardUID');
    const found = this.annotations
      .filter((a) => tags.every((t) => a.tags.includes(t)) && a.timeEnd >= from && a.time <= to && (dashboard === null || a.dashboardUID === dashboard))
      .sort((x, y) => y.time - x.time)
      .slice(0, limit);
    send(200, found);
  }
}
