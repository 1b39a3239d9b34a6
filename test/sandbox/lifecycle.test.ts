import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import { childPids, http, pidAlive, waitFor, type TargetRow } from './helpers.js';

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

  it('retries a refused connection on another replica when one dies under it', async () => {
    const sb = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 0, restartDelayMs: 2_000 });
    try {
      const victim = (await http<TargetRow[]>(`${sb.adminUrl}/targets`)).body[0];
      process.kill(victim?.pid ?? -1, 'SIGKILL');
      const results = await Promise.all(Array.from({ length: 9 }, () => http(`${sb.proxyUrl}/`)));
      expect(results.map((r) => r.status)).toEqual(Array(9).fill(200));
      const down = await waitFor('replica marked down', async () => {
        const t = (await http<TargetRow[]>(`${sb.adminUrl}/targets`)).body[0];
        return t && !t.up ? t : undefined;
      });
      expect(down.port).toBeNull();
    } finally {
      await sb.stop();
    }
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
