/**
 * The local sandbox: N replicas of a tiny "checkout" service under a supervisor, the fault proxy
 * in front of them, its admin API, and a load generator so there is always traffic to watch.
 */
import { Gauge } from 'prom-client';
import type { AdapterLogger } from '../core/ports.js';
import { createAdminServer, type AdminServer } from './admin.js';
import type { ActiveFault } from './fault-spec.js';
import { createFaultTable } from './fault-table.js';
import { startLoadGenerator, type LoadGenerator } from './load.js';
import { createFaultProxy, type FaultProxy } from './proxy.js';
import { createSupervisor } from './supervisor.js';
import { createTrafficStats } from './traffic-stats.js';

export interface SandboxOptions {
  host?: string;
  /** Traffic port. Default 7070; 0 picks a free port. */
  proxyPort?: number;
  /** Admin API port. Default 7071; 0 picks a free port. */
  adminPort?: number;
  /** Default 3. */
  replicas?: number;
  /** Default 'checkout'. */
  service?: string;
  /** Load generator requests per second; 0 turns it off. Default 30. */
  rps?: number;
  /** How long the proxy waits on a replica (and holds a blackholed request) before answering 504. Default 2000. */
  upstreamTimeoutMs?: number;
  /** Window of `GET /stats` when no `?window=` is given. Default 10 s. */
  statsWindowSeconds?: number;
  /** Wait before a dead replica is restarted. Default 500 ms. */
  restartDelayMs?: number;
  log?: AdapterLogger;
  now?: () => number;
}

export interface Sandbox {
  proxyUrl: string;
  adminUrl: string;
  /** Stops load, proxy, admin API and every replica. Safe to call more than once. */
  stop(): Promise<void>;
}

export const silentLogger: AdapterLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const service = opts.service ?? 'checkout';
  const replicas = opts.replicas ?? 3;
  const rps = opts.rps ?? 30;
  const upstreamTimeoutMs = opts.upstreamTimeoutMs ?? 2_000;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64) throw new RangeError(`replicas must be 1..64, got ${replicas}`);
  if (!(rps >= 0)) throw new RangeError(`rps must be >= 0, got ${rps}`);
  if (!(upstreamTimeoutMs > 0)) throw new RangeError(`upstreamTimeoutMs must be > 0, got ${upstreamTimeoutMs}`);

  const supervisor = createSupervisor({ service, replicas, host, log, restartDelayMs: opts.restartDelayMs });
  const killTimers = new Map<string, NodeJS.Timeout>();

  function killFor(fault: ActiveFault): void {
    if (fault.type !== 'process-kill') return;
    const victims = fault.targets.filter((id) => supervisor.get(id)?.up).slice(0, fault.params.count);
    for (const id of victims) {
      const pid = supervisor.kill(id);
      if (pid !== null) log.warn({ faultId: fault.id, experimentId: fault.experimentId, replica: id, pid }, 'replica killed by fault');
    }
  }

  const faults = createFaultTable({
    now,
    log,
    onAdded(fault) {
      if (fault.type !== 'process-kill') return;
      killFor(fault);
      if (fault.params.intervalMs) killTimers.set(fault.id, setInterval(() => killFor(fault), fault.params.intervalMs));
    },
    onRemoved(fault) {
      const t = killTimers.get(fault.id);
      if (t) clearInterval(t);
      killTimers.delete(fault.id);
    },
  });
  const stats = createTrafficStats({ now, windowSeconds: opts.statsWindowSeconds });
  const replicaList = () => supervisor.list();
  new Gauge({
    name: 'sandbox_replica_up',
    help: '1 when the replica process is up and listening',
    labelNames: ['replica'] as const,
    registers: [stats.registry],
    collect() {
      for (const r of replicaList()) this.set({ replica: r.id }, r.up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'sandbox_active_faults',
    help: 'Faults currently applied by the proxy, by type',
    labelNames: ['type'] as const,
    registers: [stats.registry],
    collect() {
      this.reset();
      for (const f of faults.list()) this.inc({ type: f.type });
    },
  });
  const proxy: FaultProxy = createFaultProxy({ host, port: opts.proxyPort ?? 7070, upstreamTimeoutMs, replicas: replicaList, faults, stats, log });
  const admin: AdminServer = createAdminServer({ host, port: opts.adminPort ?? 7071, replicas: replicaList, faults, stats, log, now });
  let load: LoadGenerator | undefined;
  let stopPromise: Promise<void> | undefined;

  async function stopAll(): Promise<void> {
    await load?.stop();
    faults.stop();
    await Promise.allSettled([proxy.close(), admin.close()]);
    await supervisor.stop();
    log.info({ service }, 'sandbox stopped');
  }
  const stop = () => (stopPromise ??= stopAll());

  try {
    await supervisor.start();
    const proxyPort = await proxy.listen();
    const adminPort = await admin.listen();
    faults.start();
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const proxyUrl = `http://${urlHost}:${proxyPort}`;
    const adminUrl = `http://${urlHost}:${adminPort}`;
    if (rps > 0) load = startLoadGenerator({ url: `${proxyUrl}/checkout`, rps, timeoutMs: upstreamTimeoutMs + 1_000, log });
    log.info({ proxyUrl, adminUrl, service, replicas, rps }, 'sandbox ready');
    return { proxyUrl, adminUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
