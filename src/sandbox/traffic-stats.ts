/**
 * What the proxy saw: Prometheus metrics on a registry of its own, and a sliding window of recent
 * requests for `GET /stats`. With no requests in the window the rates are null, never zero.
 */
import { Counter, Histogram, Registry } from 'prom-client';

export interface StatsSnapshot {
  windowSeconds: number;
  requests: number;
  errors: number;
  errorRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  rps: number;
}

export interface TrafficStatsOptions {
  now: () => number;
  /** Default window of `snapshot()`. Default 10 s. */
  windowSeconds?: number;
  /** Longest window a caller may ask for; older samples are dropped. Default 60 s. */
  maxWindowSeconds?: number;
  metricPrefix?: string;
}

export interface TrafficStats {
  readonly registry: Registry;
  readonly windowSeconds: number;
  readonly maxWindowSeconds: number;
  record(replica: string, code: number, ms: number): void;
  snapshot(windowSeconds?: number): StatsSnapshot;
}

interface Sample {
  at: number;
  ms: number;
  error: boolean;
}

const MAX_SAMPLES = 200_000;

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  const v = sorted[idx];
  return v === undefined ? null : Math.round(v * 10) / 10;
}

export function createTrafficStats(opts: TrafficStatsOptions): TrafficStats {
  const { now } = opts;
  const windowSeconds = opts.windowSeconds ?? 10;
  const maxWindowSeconds = Math.max(windowSeconds, opts.maxWindowSeconds ?? 60);
  const prefix = opts.metricPrefix ?? 'sandbox_proxy';
  let firstAt: number | undefined;
  const registry = new Registry();
  const requests = new Counter({
    name: `${prefix}_requests_total`,
    help: 'Requests answered by the sandbox fault proxy, by replica and status code',
    labelNames: ['replica', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: `${prefix}_request_duration_seconds`,
    help: 'Time from the proxy receiving a request to its answer, by replica',
    labelNames: ['replica'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  let samples: Sample[] = [];
  let head = 0;

  function prune(t: number): void {
    const cutoff = t - maxWindowSeconds * 1000;
    while (head < samples.length && (samples[head]?.at ?? Infinity) < cutoff) head += 1;
    if (samples.length - head > MAX_SAMPLES) head = samples.length - MAX_SAMPLES;
    if (head > 1024 && head > samples.length / 2) {
      samples = samples.slice(head);
      head = 0;
    }
  }

  return {
    registry,
    windowSeconds,
    maxWindowSeconds,
    record(replica, code, ms) {
      requests.inc({ replica, code: String(code) });
      latency.observe({ replica }, ms / 1000);
      const t = now();
      firstAt ??= t - ms;
      samples.push({ at: t, ms, error: code >= 500 });
      prune(t);
    },
    snapshot(requested) {
      const w = Math.min(maxWindowSeconds, Math.max(0.1, requested ?? windowSeconds));
      const t = now();
      prune(t);
      const cutoff = t - w * 1000;
      const durations: number[] = [];
      let errors = 0;
      for (let i = samples.length - 1; i >= head; i -= 1) {
        const s = samples[i];
        if (!s || s.at <= cutoff) break;
        durations.push(s.ms);
        if (s.error) errors += 1;
      }
      durations.sort((a, b) => a - b);
      const n = durations.length;
      // Early on, the window is longer than the traffic seen so far; rate over what was observed.
      const observedSeconds = Math.min(w, Math.max(0.001, (t - (firstAt ?? t)) / 1000));
      return {
        windowSeconds: w,
        requests: n,
        errors,
        errorRate: n === 0 ? null : errors / n,
        p50Ms: percentile(durations, 0.5),
        p99Ms: percentile(durations, 0.99),
        rps: Math.round((n / observedSeconds) * 100) / 100,
      };
    },
  };
}
