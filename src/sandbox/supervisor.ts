/**
 * Runs the sandbox service as N replica child processes, restarts the ones that die, and kills
 * every one of them on stop (twice is fine) or when this process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AdapterLogger } from '../core/ports.js';
import { REPLICA_MARKER } from './replica.js';

export interface ReplicaInfo {
  id: string;
  service: string;
  replica: number;
  pid: number | null;
  port: number | null;
  up: boolean;
  restarts: number;
}

export interface SupervisorOptions {
  service: string;
  replicas: number;
  host: string;
  log: AdapterLogger;
  /** Wait before bringing a dead replica back. Default 500 ms. */
  restartDelayMs?: number;
  /** How long start() waits for every replica to report its port. Default 15 s. */
  startTimeoutMs?: number;
  /** Node flags for the children; default: this process's flags, plus the tsx loader when running from .ts. */
  execArgv?: string[];
}

export interface Supervisor {
  start(): Promise<void>;
  list(): ReplicaInfo[];
  get(id: string): ReplicaInfo | undefined;
  /** Sends SIGKILL to the replica; returns the pid it killed, or null when it was not running. */
  kill(id: string): number | null;
  /** Resolves once the replica is up again (or already is); false on timeout or stop. */
  waitUp(id: string, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

interface Slot {
  info: ReplicaInfo;
  child?: ChildProcess;
  exited?: Promise<void>;
  restartTimer?: NodeJS.Timeout;
  waiters: Array<() => void>;
}

/** The replica module next to this one, with this file's own extension (.ts under tsx, .js after tsc). */
export function replicaModulePath(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), `replica${extname(here)}`);
}

export function childExecArgv(modulePath: string, parentArgv: readonly string[] = process.execArgv): string[] {
  const argv = [...parentArgv];
  const isTs = /\.[mc]?ts$/.test(modulePath);
  if (isTs && !argv.some((a) => a.includes('tsx'))) {
    try {
      const loader = createRequire(import.meta.url).resolve('tsx');
      argv.push('--import', pathToFileURL(loader).href);
    } catch {
      // No tsx next to us: the parent's flags are all we can pass on.
    }
  }
  return argv;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const { log, service, host } = opts;
  const restartDelayMs = opts.restartDelayMs ?? 500;
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  const modulePath = replicaModulePath();
  const execArgv = opts.execArgv ?? childExecArgv(modulePath);
  const slots: Slot[] = Array.from({ length: opts.replicas }, (_, i) => ({
    info: { id: `${service}-${i}`, service, replica: i, pid: null, port: null, up: false, restarts: 0 },
    waiters: [],
  }));
  let stopping = false;
  let stopPromise: Promise<void> | undefined;

  // Safety net: if this process exits without stop(), take the children with it.
  const onExit = () => {
    for (const slot of slots) slot.child?.kill('SIGKILL');
  };

  function spawnSlot(slot: Slot): void {
    const { info } = slot;
    const child = fork(modulePath, [REPLICA_MARKER, '--service', service, '--replica', String(info.replica), '--host', host], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    slot.child = child;
    info.pid = child.pid ?? null;
    slot.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // A fork that never started emits 'error' and no 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) resolve();
      });
    });
    child.on('message', (msg: unknown) => {
      const m = msg as { type?: unknown; port?: unknown };
      if (m?.type !== 'ready' || typeof m.port !== 'number' || slot.child !== child) return;
      info.port = m.port;
      info.up = true;
      log.info({ replica: info.id, pid: info.pid, port: info.port }, 'replica up');
      for (const w of slot.waiters.splice(0)) w();
    });
    child.on('error', (err) => log.error({ replica: info.id, err }, 'replica process error'));
    child.once('exit', (code, signal) => {
      if (slot.child !== child) return;
      slot.child = undefined;
      info.up = false;
      info.port = null;
      if (stopping) return;
      log.warn({ replica: info.id, pid: info.pid, code, signal, restartInMs: restartDelayMs }, 'replica exited');
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (stopping) return;
        info.restarts += 1;
        spawnSlot(slot);
      }, restartDelayMs);
    });
  }

  function waitUp(id: string, timeoutMs: number): Promise<boolean> {
    const slot = slots.find((s) => s.info.id === id);
    if (!slot) return Promise.resolve(false);
    if (slot.info.up) return Promise.resolve(true);
    if (stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        slot.waiters = slot.waiters.filter((w) => w !== onUp);
        resolve(ok);
      };
      const onUp = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      slot.waiters.push(onUp);
    });
  }

  async function stopAll(): Promise<void> {
    stopping = true;
    for (const slot of slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
      for (const w of slot.waiters.splice(0)) w();
    }
    await Promise.all(
      slots.map(async (slot) => {
        const child = slot.child;
        if (!child || !slot.exited || child.pid === undefined) return;
        child.kill('SIGTERM');
        const hardKill = setTimeout(() => child.kill('SIGKILL'), 2_000);
        let giveUp: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<void>((resolve) => (giveUp = setTimeout(resolve, 10_000)));
        await Promise.race([slot.exited, gaveUp]);
        clearTimeout(hardKill);
        clearTimeout(giveUp);
      }),
    );
    process.off('exit', onExit);
    log.info({ service, replicas: slots.length }, 'replicas stopped');
  }

  return {
    async start() {
      process.on('exit', onExit);
      for (const slot of slots) spawnSlot(slot);
      const ready = await Promise.all(slots.map((s) => waitUp(s.info.id, startTimeoutMs)));
      if (ready.some((ok) => !ok)) {
        await stopAll();
        const missing = slots.filter((_, i) => !ready[i]).map((s) => s.info.id);
        throw new Error(`replicas did not start within ${startTimeoutMs} ms: ${missing.join(', ')}`);
      }
    },
    list: () => slots.map((s) => ({ ...s.info })),
    get: (id) => {
      const slot = slots.find((s) => s.info.id === id);
      return slot ? { ...slot.info } : undefined;
    },
    kill(id) {
      const slot = slots.find((s) => s.info.id === id);
      const child = slot?.child;
      if (!slot || !child || stopping) return null;
      const pid = child.pid ?? null;
      child.kill('SIGKILL');
      slot.info.up = false;
      return pid;
    },
    waitUp,
    stop() {
      stopPromise ??= stopAll();
      return stopPromise;
    },
  };
}
