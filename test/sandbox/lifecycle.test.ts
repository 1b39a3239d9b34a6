import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { childPids, http, pidAlive, type TargetRow } from './helpers.js';

function occupyPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: addr && typeof addr === 'object' ? addr.port : 0 });
    });
  });
}

describe('sandbox lifecycle', () => {
  it('stop() kills every replica, twice is fine, and the ports close', async () => {
    const before = childPids();
    const sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 2, rps: 20 });
    const targets = (await http<TargetRow[]>(`${sb.adminUrl}/targets`)).body;
    expect(targets).toHaveLength(2);
    const pids = targets.map((t) => t.pid ?? -1);
    expect(pids.every(pidAlive)).toBe(true);
    expect(childPids().filter((p) => !before.includes(p)).sort()).toEqual([...pids].sort());
    await Promise.all([sb.stop(), sb.stop()]);
    await sb.stop();
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(childPids().filter((p) => !before.includes(p))).toEqual([]);
    await expect(fetch(`${sb.adminUrl}/healthz`)).rejects.toThrow();
    await expect(fetch(`${sb.proxyUrl}/`)).rejects.toThrow();
  }, 15_000);

  it('fails to start on a busy port and leaves no replica behind', async () => {
    const before = childPids();
    const busy = await occupyPort();
    try {
      await expect(startSandbox({ proxyPort: 0, adminPort: busy.port, replicas: 2, rps: 0 })).rejects.toThrow(/EADDRINUSE/);
      expect(childPids().filter((p) => !before.includes(p))).toEqual([]);
    } finally {
      busy.server.close();
    }
  }, 15_000);
});
