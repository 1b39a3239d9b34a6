/**
 * A steady trickle of requests against the proxy (default ~30 req/s), each with a client timeout,
 * so `/stats` always has traffic to report on.
 */
import { Agent, get as httpGet, type ClientRequest } from 'node:http';
import type { AdapterLogger } from '../core/ports.js';

export interface LoadGeneratorOptions {
  url: string;
  rps: number;
  timeoutMs: number;
  log: AdapterLogger;
  /** Upper bound on requests in flight at once. Default 1000. */
  maxInFlight?: number;
}

export interface LoadGenerator {
  stop(): Promise<void>;
  counts(): { sent: number; ok: number; failed: number; timedOut: number; skipped: number };
}

const TICK_MS = 20;

export function startLoadGenerator(opts: LoadGeneratorOptions): LoadGenerator {
  const agent = new Agent({ keepAlive: true, maxSockets: 512, timeout: 4_000 });
  const inFlight = new Set<ClientRequest>();
  const maxInFlight = opts.maxInFlight ?? 1000;
  const counts = { sent: 0, ok: 0, failed: 0, timedOut: 0, skipped: 0 };
  let credit = 0;
  let last = performance.now();
  let stopped = false;

  function fire(): void {
    if (inFlight.size >= maxInFlight) {
      counts.skipped += 1;
      return;
    }
    counts.sent += 1;
    const req = httpGet(opts.url, { agent, timeout: opts.timeoutMs, headers: { 'user-agent': 'faultline-sandbox-load' } }, (res) => {
      res.resume();
      res.on('end', () => {
        if ((res.statusCode ?? 0) < 500) counts.ok += 1;
        else counts.failed += 1;
      });
    });
    inFlight.add(req);
    req.on('timeout', () => {
      counts.timedOut += 1;
      req.destroy(new Error('client timeout'));
    });
    req.on('error', () => {
      if (!stopped) counts.failed += 1;
    });
    req.on('close', () => inFlight.delete(req));
  }

  const timer = setInterval(() => {
    const t = performance.now();
    credit = Math.min(credit + ((t - last) / 1000) * opts.rps, Math.max(1, opts.rps));
    last = t;
    while (credit >= 1) {
      credit -= 1;
      fire();
    }
  }, TICK_MS);
  opts.log.info({ url: opts.url, rps: opts.rps, timeoutMs: opts.timeoutMs }, 'load generator started');

  return {
    counts: () => ({ ...counts }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      for (const req of inFlight) req.destroy();
      agent.destroy();
      opts.log.info({ ...counts }, 'load generator stopped');
    },
  };
}
