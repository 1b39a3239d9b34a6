/**
 * The fault proxy: a reverse proxy on the traffic port that round-robins requests over the live
 * replicas and applies each replica's active faults (latency, http-error, blackhole) on the way.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AdapterLogger } from '../core/ports.js';
import { closeServer, listenOn } from '../lib/listen.js';
import type { FaultTable } from './fault-table.js';
import type { ReplicaInfo } from './supervisor.js';
import type { TrafficStats } from './traffic-stats.js';

export interface FaultProxyOptions {
  host: string;
  port: number;
  upstreamTimeoutMs: number;
  replicas: () => ReplicaInfo[];
  faults: FaultTable;
  stats: TrafficStats;
  log: AdapterLogger;
  random?: () => number;
}

export interface FaultProxy {
  listen(): Promise<number>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host',
]);
const MAX_BODY_BYTES = 1_000_000;

function forwardHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) resolve(null);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

type Outcome = { kind: 'refused' } | { kind: 'done' };

export function createFaultProxy(opts: FaultProxyOptions): FaultProxy {
  const { log, stats, faults } = opts;
  const random = opts.random ?? Math.random;
  // Idle sockets are dropped before the replica's 5 s keep-alive ends, so a reused socket is never one the replica is closing.
  const agent = new Agent({ keepAlive: true, maxSockets: 256, timeout: 4_000 });
  /** Wakers of every pending sleep, so close() never waits on a held (blackholed, delayed) request. */
  const sleepers = new Set<() => void>();
  let closed = false;
  let rr = 0;

  /** Resolves after ms, or early when the proxy closes or the client goes away. */
  function sleep(ms: number, res: ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      if (ms <= 0 || closed) return resolve();
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        res.off('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
      res.on('close', done);
    });
  }

  function answer(res: ServerResponse, status: number, body: object): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function hits(percent: number): boolean {
    return percent >= 100 || random() * 100 < percent;
  }

  async function serveVia(replica: ReplicaInfo, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<Outcome> {
    const active = faults.forTarget(replica.id);
    let delay = 0;
    for (const f of active) {
      if (f.type !== 'latency' || !hits(f.params.percent)) continue;
      const jitter = f.params.jitterMs ? (random() * 2 - 1) * f.params.jitterMs : 0;
      delay += Math.max(0, f.params.ms + jitter);
    }
    if (delay > 0) await sleep(delay, res);
    if (res.destroyed || closed) return { kind: 'done' };
    for (const f of active) {
      if (f.type === 'blackhole' && hits(f.params.percent)) {
        await sleep(opts.upstreamTimeoutMs, res);
        answer(res, 504, { error: 'upstream_timeout', replica: replica.id, timeoutMs: opts.upstreamTimeoutMs });
        return { kind: 'done' };
      }
    }
    for (const f of active) {
      if (f.type === 'http-error' && hits(f.params.percent)) {
        answer(res, f.params.status, { error: 'injected_fault', replica: replica.id, faultId: f.id });
        return { kind: 'done' };
      }
    }
    if (replica.port === null) return { kind: 'refused' };
    return forward(replica.port, replica.id, req, body, res);
  }

  function forward(port: number, replicaId: string, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<Outcome> {
    return new Promise((resolve) => {
      const upstream = httpRequest({
        host: opts.host,
        port,
        method: req.method,
        path: req.url,
        agent,
        headers: { ...forwardHeaders(req.headers), 'content-length': String(body.length), 'x-forwarded-for': req.socket.remoteAddress ?? '' },
        timeout: opts.upstreamTimeoutMs,
      });
      let settled = false;
      const settle = (o: Outcome) => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      upstream.on('response', (up) => {
        if (res.destroyed) {
          up.resume();
          return settle({ kind: 'done' });
        }
        res.writeHead(up.statusCode ?? 502, forwardHeaders(up.headers));
        up.pipe(res);
        up.on('end', () => settle({ kind: 'done' }));
        up.on('error', () => {
          res.destroy();
          settle({ kind: 'done' });
        });
      });
      upstream.on('timeout', () => {
        upstream.destroy();
        answer(res, 504, { error: 'upstream_timeout', replica: replicaId, timeoutMs: opts.upstreamTimeoutMs });
        settle({ kind: 'done' });
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (err.code === 'ECONNREFUSED') return settle({ kind: 'refused' });
        answer(res, 502, { error: 'bad_gateway', replica: replicaId, reason: err.code ?? err.message });
        settle({ kind: 'done' });
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      upstream.end(body);
    });
  }

  function pick(exclude?: string): ReplicaInfo | undefined {
    const live = opts.replicas().filter((r) => r.up && r.port !== null && r.id !== exclude);
    if (live.length === 0) return undefined;
    rr = (rr + 1) % 1_000_000;
    return live[rr % live.length];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let label = 'none';
    res.on('close', () => {
      const code = res.writableFinished ? res.statusCode : 499;
      stats.record(label, code, performance.now() - started);
    });
    const body = await readBody(req);
    if (body === null) return answer(res, 413, { error: 'body_too_large', limitBytes: MAX_BODY_BYTES });
    let replica = pick();
    for (let attempt = 0; replica; attempt += 1) {
      label = replica.id;
      const outcome = await serveVia(replica, req, body, res);
      if (outcome.kind === 'done') return;
      log.debug({ replica: replica.id, attempt }, 'replica refused the connection');
      if (attempt >= 1) return answer(res, 502, { error: 'bad_gateway', replica: replica.id, reason: 'ECONNREFUSED' });
      replica = pick(replica.id);
    }
    answer(res, 502, { error: 'no_upstream', reason: 'no replica is up' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'proxy request failed');
      answer(res, 500, { error: 'proxy_error' });
    });
  });
  server.keepAliveTimeout = 5_000;

  return {
    listen: () => listenOn(server, opts.port, opts.host),
    async close() {
      closed = true;
      for (const wake of [...sleepers]) wake();
      const serverClosed = closeServer(server);
      agent.destroy();
      await serverClosed;
    },
  };
}
