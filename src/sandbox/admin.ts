/**
 * The sandbox's admin HTTP API: targets, faults (add, list, clear), stats and Prometheus metrics.
 * JSON in and out; bad input answers 400 `{ error, field }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { AdapterLogger } from '../core/ports.js';
import { closeServer, listenOn } from '../lib/listen.js';
import { NewFaultBody } from './fault-spec.js';
import type { FaultTable } from './fault-table.js';
import type { ReplicaInfo } from './supervisor.js';
import type { TrafficStats } from './traffic-stats.js';

export interface AdminServerOptions {
  host: string;
  port: number;
  replicas: () => ReplicaInfo[];
  faults: FaultTable;
  stats: TrafficStats;
  log: AdapterLogger;
  now: () => number;
}

export interface AdminServer {
  listen(): Promise<number>;
  close(): Promise<void>;
}

class BadRequest extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown, contentType = 'application/json'): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 256_000) throw new BadRequest('body larger than 256 kB', 'body', 413);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new BadRequest('expected a JSON body', 'body');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body is not valid JSON', 'body');
  }
}

/** The first zod issue as `{ error, field }`, with the field as a dotted path. */
export function issueToBadRequest(error: z.ZodError): BadRequest {
  const issue = error.issues[0];
  if (!issue) return new BadRequest('invalid body', 'body');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return new BadRequest(issue.message, path.length ? path.join('.') : 'body');
}

export function createAdminServer(opts: AdminServerOptions): AdminServer {
  const { faults, stats, log } = opts;

  function targets() {
    return opts.replicas().map((r) => ({ id: r.id, service: r.service, replica: r.replica, pid: r.pid, port: r.port, up: r.up }));
  }

  async function postFault(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = NewFaultBody.safeParse(await readJson(req));
    if (!parsed.success) throw issueToBadRequest(parsed.error);
    const body = parsed.data;
    const known = new Set(opts.replicas().map((r) => r.id));
    const unknown = body.targets.filter((t) => !known.has(t));
    if (unknown.length) throw new BadRequest(`unknown target ${unknown.join(', ')}; known: ${[...known].join(', ')}`, 'targets');
    if (body.expiresAt <= opts.now()) throw new BadRequest('expiresAt is in the past', 'expiresAt');
    const result = faults.add(body);
    if (result.kind === 'conflict') return send(res, 409, { error: result.reason, field: 'handleId' });
    send(res, result.kind === 'created' ? 201 : 200, result.fault);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' && method === 'GET') return send(res, 200, { ok: true });
    if (path === '/targets' && method === 'GET') return send(res, 200, targets());
    if (path === '/stats' && method === 'GET') {
      const w = url.searchParams.get('window');
      const seconds = w === null ? undefined : Number(w);
      if (seconds !== undefined && !(seconds > 0 && seconds <= stats.maxWindowSeconds)) {
        throw new BadRequest(`window must be a number of seconds in (0, ${stats.maxWindowSeconds}]`, 'window');
      }
      return send(res, 200, stats.snapshot(seconds));
    }
    if (path === '/metrics' && method === 'GET') {
      return send(res, 200, await stats.registry.metrics(), stats.registry.contentType);
    }
    if (path === '/faults') {
      const experimentId = url.searchParams.get('experimentId') ?? undefined;
      if (method === 'GET') return send(res, 200, faults.list({ experimentId }));
      if (method === 'POST') return postFault(req, res);
      if (method === 'DELETE') {
        if (!experimentId) throw new BadRequest('DELETE /faults needs ?experimentId=', 'experimentId');
        return send(res, 200, { cleared: faults.clearExperiment(experimentId) });
      }
      return send(res, 405, { error: 'method_not_allowed' });
    }
    const m = /^\/faults\/([^/]+)$/.exec(path);
    if (m?.[1] !== undefined) {
      if (method !== 'DELETE') return send(res, 405, { error: 'method_not_allowed' });
      faults.sweep();
      const removed = faults.remove(decodeURIComponent(m[1]), 'deleted');
      return removed ? send(res, 204) : send(res, 404, { error: 'not_found' });
    }
    send(res, 404, { error: 'not_found' });
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (err instanceof BadRequest) return send(res, err.status, { error: err.message, field: err.field });
      log.error({ err, url: req.url }, 'admin request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal_error' });
    });
  });

  return {
    listen: () => listenOn(server, opts.port, opts.host),
    close: () => closeServer(server),
  };
}
