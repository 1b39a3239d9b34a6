import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFaultTable } from '../../src/sandbox/fault-table.js';
import { silentLogger } from '../../src/sandbox/index.js';
import { createFaultProxy, type FaultProxy } from '../../src/sandbox/proxy.js';
import type { ReplicaInfo } from '../../src/sandbox/supervisor.js';
import { createTrafficStats } from '../../src/sandbox/traffic-stats.js';
import { http } from './helpers.js';

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(addr && typeof addr === 'object' ? addr.port : 0));
    });
  });
}

const replica = (i: number, port: number): ReplicaInfo => ({ id: `checkout-${i}`, service: 'checkout', replica: i, pid: 1, port, up: true, restarts: 0 });

describe('fault proxy: a replica that refuses connections', () => {
  let live: Server;
  let livePort = 0;
  let deadPort = 0;
  let replicas: ReplicaInfo[] = [];
  let proxy: FaultProxy;
  let proxyUrl = '';
  const stats = createTrafficStats({ now: Date.now });

  beforeAll(async () => {
    live = createHttpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    await new Promise<void>((r) => live.listen(0, '127.0.0.1', () => r()));
    const addr = live.address();
    livePort = addr && typeof addr === 'object' ? addr.port : 0;
    deadPort = await closedPort();
    // The supervisor has not noticed yet: the dead replica still looks up.
    replicas = [replica(0, deadPort), replica(1, livePort)];
    proxy = createFaultProxy({
      host: '127.0.0.1',
      port: 0,
      upstreamTimeoutMs: 500,
      replicas: () => replicas,
      faults: createFaultTable({ now: Date.now, log: silentLogger }),
      stats,
      log: silentLogger,
    });
    proxyUrl = `http://127.0.0.1:${await proxy.listen()}`;
  });
  afterAll(async () => {
    await proxy.close();
    live.closeAllConnections();
    await new Promise<void>((r) => live.close(() => r()));
  });

  it('retries a refused connection once on another replica', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => http<{ ok: boolean; path: string }>(`${proxyUrl}/p${i}`)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(results.map((r) => r.body.path).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `/p${i}`).sort());
    expect(stats.snapshot().errors).toBe(0);
  });

  it('answers 502 when the retry is refused too, and when no replica is up', async () => {
    replicas = [replica(0, deadPort), replica(1, deadPort)];
    const res = await http<{ error: string; reason: string }>(`${proxyUrl}/`);
    expect(res).toMatchObject({ status: 502, body: { error: 'bad_gateway', reason: 'ECONNREFUSED' } });
    replicas = [{ ...replica(0, deadPort), up: false, port: null }];
    expect(await http(`${proxyUrl}/`)).toMatchObject({ status: 502, body: { error: 'no_upstream' } });
    expect(stats.snapshot().errors).toBe(2);
  });
});
