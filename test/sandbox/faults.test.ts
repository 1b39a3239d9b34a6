import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { faultBody, http, pidAlive, sleep, waitFor, type FaultRow, type StatsRow, type TargetRow } from './helpers.js';

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 60, upstreamTimeoutMs: 300 });
}, 20_000);
afterAll(async () => {
  await sb?.stop();
});

async function addFault(body: Record<string, unknown>): Promise<FaultRow> {
  const res = await http<FaultRow>(`${sb.adminUrl}/faults`, { method: 'POST', body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function clear(experimentId: unknown): Promise<void> {
  await http(`${sb.adminUrl}/faults?experimentId=${encodeURIComponent(String(experimentId))}`, { method: 'DELETE' });
}

describe('sandbox: steady state', () => {
  it('reports its URLs and answers /healthz', async () => {
    expect(sb.proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.proxyUrl).not.toBe(sb.adminUrl);
    expect(await http(`${sb.adminUrl}/healthz`)).toEqual({ status: 200, body: { ok: true } });
  });

  it('lists three replicas, each its own live process', async () => {
    const { body } = await http<TargetRow[]>(`${sb.adminUrl}/targets`);
    expect(body.map((t) => t.id)).toEqual(['checkout-0', 'checkout-1', 'checkout-2']);
    for (const t of body) {
      expect(t).toMatchObject({ service: 'checkout', up: true });
      expect(t.pid).not.toBe(process.pid);
      expect(pidAlive(t.pid ?? -1)).toBe(true);
      expect(t.port).toBeGreaterThan(0);
    }
    expect(new Set(body.map((t) => t.pid)).size).toBe(3);
  });

  it('proxies traffic round-robin, and /stats and /metrics have numbers', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 6; i += 1) {
      const res = await http<{ ok: boolean; replica: number; path: string }>(`${sb.proxyUrl}/cart?i=${i}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: true, service: 'checkout', path: `/cart?i=${i}` });
      seen.add(res.body.replica);
    }
    expect(seen.size).toBeGreaterThanOrEqual(2);
    const stats = await waitFor('load traffic', async () => {
      const s = (await http<StatsRow>(`${sb.adminUrl}/stats`)).body;
      return s.requests >= 20 ? s : undefined;
    });
    expect(stats.windowSeconds).toBe(10);
    expect(stats.errors).toBe(0);
    expect(stats.errorRate).toBe(0);
    expect(stats.p50Ms).toBeGreaterThan(0);
    expect(stats.p99Ms).toBeGreaterThanOrEqual(stats.p50Ms ?? 0);
    expect(stats.rps).toBeGreaterThan(10);
    const metrics = await fetch(`${sb.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/sandbox_proxy_requests_total\{replica="checkout-\d",code="200"\} \d+/);
    expect(metrics).toContain('sandbox_proxy_request_duration_seconds_bucket');
    expect(metrics).toContain('sandbox_replica_up{replica="checkout-2"} 1');
  });
});

describe('sandbox: faults', () => {
  it('http-error on one replica of three raises the error rate to about a third', async () => {
    const f = await addFault(faultBody({ type: 'http-error', targets: ['checkout-1'], params: { status: 503 } }));
    try {
      expect(f.params).toEqual({ status: 503, percent: 100 });
      await sleep(1_100);
      const s = (await http<StatsRow>(`${sb.adminUrl}/stats?window=1`)).body;
      expect(s.windowSeconds).toBe(1);
      expect(s.requests).toBeGreaterThan(20);
      expect(s.errorRate).toBeGreaterThan(0.22);
      expect(s.errorRate).toBeLessThan(0.45);
      const metrics = await fetch(`${sb.adminUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/sandbox_proxy_requests_total\{replica="checkout-1",code="503"\} \d+/);
    } finally {
      await clear(f.experimentId);
    }
  });

  it('latency raises p99', async () => {
    const f = await addFault(faultBody({ type: 'latency', targets: ['checkout-0'], params: { ms: 150, jitterMs: 10 } }));
    try {
      await sleep(1_100);
      const s = (await http<StatsRow>(`${sb.adminUrl}/stats?window=1`)).body;
      expect(s.p99Ms).toBeGreaterThanOrEqual(135);
      expect(s.p50Ms).toBeLessThan(135);
      expect(s.errors).toBe(0);
    } finally {
      await clear(f.experimentId);
    }
  });

  it('blackhole never forwards: the proxy answers 504 after its upstream timeout', async () => {
    const f = await addFault(faultBody({ type: 'blackhole', targets: ['checkout-0', 'checkout-1', 'checkout-2'] }));
    try {
      const t0 = performance.now();
      const res = await http<{ error: string }>(`${sb.proxyUrl}/`);
      const took = performance.now() - t0;
      expect(res.status).toBe(504);
      expect(res.body.error).toBe('upstream_timeout');
      expect(took).toBeGreaterThanOrEqual(280);
      const metrics = await fetch(`${sb.adminUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/code="504"/);
    } finally {
      await clear(f.experimentId);
    }
    expect((await http(`${sb.proxyUrl}/`)).status).toBe(200);
  });

  it('process-kill kills a replica and the supervisor brings it back with a new pid', async () => {
    const before = (await http<TargetRow[]>(`${sb.adminUrl}/targets`)).body.find((t) => t.id === 'checkout-1');
    const oldPid = before?.pid ?? -1;
    expect(before?.up).toBe(true);
    const f = await addFault(faultBody({ type: 'process-kill', targets: ['checkout-1'], params: { count: 1 } }));
    try {
      await waitFor('old pid gone', async () => !pidAlive(oldPid), 5_000);
      const after = await waitFor('replica back', async () => {
        const t = (await http<TargetRow[]>(`${sb.adminUrl}/targets`)).body.find((x) => x.id === 'checkout-1');
        return t?.up && t.pid !== oldPid ? t : undefined;
      }, 10_000);
      expect(pidAlive(after.pid ?? -1)).toBe(true);
      // Requests keep succeeding meanwhile: a dead replica is skipped or retried elsewhere.
      expect((await http(`${sb.proxyUrl}/`)).status).toBe(200);
    } finally {
      await clear(f.experimentId);
    }
  });

  it('clears an expired fault by itself', async () => {
    const f = await addFault(faultBody({ type: 'http-error', targets: ['checkout-0', 'checkout-1', 'checkout-2'], expiresAt: Date.now() + 300 }));
    expect((await http(`${sb.proxyUrl}/`)).status).toBe(503);
    expect((await http<FaultRow[]>(`${sb.adminUrl}/faults`)).body.map((x) => x.id)).toContain(f.id);
    await sleep(550);
    expect((await http<FaultRow[]>(`${sb.adminUrl}/faults`)).body.map((x) => x.id)).not.toContain(f.id);
    expect((await http(`${sb.proxyUrl}/`)).status).toBe(200);
    expect((await http(`${sb.adminUrl}/faults/${f.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});
