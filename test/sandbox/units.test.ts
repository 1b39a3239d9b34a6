import { describe, expect, it } from 'vitest';
import { createFaultTable, type ClearReason } from '../../src/sandbox/fault-table.js';
import { NewFaultBody } from '../../src/sandbox/fault-spec.js';
import { silentLogger } from '../../src/sandbox/index.js';
import { createTrafficStats } from '../../src/sandbox/traffic-stats.js';
import { sleep } from './helpers.js';

describe('traffic stats', () => {
  it('computes the window, error rate and nearest-rank percentiles', () => {
    let t = 1_000_000;
    const stats = createTrafficStats({ now: () => t, windowSeconds: 10 });
    expect(stats.snapshot()).toMatchObject({ requests: 0, errorRate: null, p50Ms: null, p99Ms: null });
    for (let i = 1; i <= 100; i += 1) {
      t += 50;
      stats.record('checkout-0', i % 10 === 0 ? 503 : 200, i);
    }
    const s = stats.snapshot();
    expect(s).toMatchObject({ requests: 100, errors: 10, errorRate: 0.1, p50Ms: 50, p99Ms: 99 });
    expect(s.rps).toBeCloseTo(100 / 5, 0);
    expect(stats.snapshot(1)).toMatchObject({ requests: 20, windowSeconds: 1 });
    t += 61_000;
    expect(stats.snapshot()).toMatchObject({ requests: 0, errorRate: null });
  });

  it('uses its own registry', async () => {
    const a = createTrafficStats({ now: Date.now });
    const b = createTrafficStats({ now: Date.now });
    a.record('checkout-0', 200, 3);
    expect(await a.registry.metrics()).toContain('sandbox_proxy_requests_total{replica="checkout-0",code="200"} 1');
    expect(await b.registry.metrics()).not.toContain('code="200"');
  });
});

describe('fault table', () => {
  const body = (over: Record<string, unknown>) =>
    NewFaultBody.parse({ experimentId: 'e1', handleId: 'h1', type: 'blackhole', targets: ['checkout-0'], expiresAt: 2_000, ...over });

  it('sweeps expired faults by itself, at least four times a second', async () => {
    let t = 1_000;
    const removed: Array<[string, ClearReason]> = [];
    const table = createFaultTable({ now: () => t, log: silentLogger, onRemoved: (f, why) => removed.push([f.id, why]) });
    table.start();
    const r = table.add(body({}));
    expect(r.kind).toBe('created');
    expect(table.forTarget('checkout-0')).toHaveLength(1);
    expect(table.forTarget('checkout-1')).toHaveLength(0);
    t = 2_000;
    // Expired faults stop applying at once, before any sweep runs.
    expect(table.forTarget('checkout-0')).toHaveLength(0);
    await sleep(260);
    expect(removed).toEqual([[r.kind === 'created' ? r.fault.id : '', 'expired']]);
    table.stop();
  });

  it('stop() clears everything it holds', () => {
    const removed: ClearReason[] = [];
    const table = createFaultTable({ now: () => 0, log: silentLogger, onRemoved: (_f, why) => removed.push(why) });
    table.add(body({ handleId: 'a' }));
    table.add(body({ handleId: 'b' }));
    table.stop();
    expect(removed).toEqual(['shutdown', 'shutdown']);
    expect(table.list()).toEqual([]);
  });
});
