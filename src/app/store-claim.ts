import os from 'node:os';
import type { Logger } from 'pino';
import { FaultlineError } from '../core/errors.js';
import type { FenceToken } from '../store/leases.js';
import type { Store } from '../store/index.js';
import { replicaName } from './replica/election.js';

/** Long enough that a busy process never loses it; a crashed one is recognised sooner (its pid is gone). */
const TTL_MS = 30_000;

/**
 * A holder (`host/pid/nonce`) that cannot be running: a process of this host that is gone, or this
 * very process (an engine built again in it after one was abandoned, as a crash test does).
 */
export function holderIsGone(holder: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid)) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * One engine per SQLite file: a second bot, console or `faultline run` on a file a live Faultline
 * uses would reconcile that one's running experiments as crashed. The lease row says who runs; one
 * left by a process that died is taken over at once.
 */
export function claimSqliteStore(store: Store, log: Logger, now: () => number = Date.now): { release(): void } {
  const holder = replicaName();
  const claimed = store.leases.claim(holder, TTL_MS, now(), holderIsGone);
  if (!claimed.ok) {
    throw new FaultlineError(
      'store_in_use',
      `another Faultline (${claimed.holder}) runs on ${store.path}: one engine per SQLite file. Stop it, give this one its own store.path, or run replicas on PostgreSQL`,
      { path: store.path, holder: claimed.holder },
    );
  }
  const token: FenceToken = { holder, epoch: claimed.epoch };
  const timer = setInterval(() => {
    try {
      if (!store.leases.renew(token, TTL_MS, now())) log.error({ holder }, 'the store lease was taken by another Faultline');
    } catch (err) {
      log.warn({ err }, 'renewing the store lease failed');
    }
  }, TTL_MS / 3);
  timer.unref();
  return {
    release() {
      clearInterval(timer);
      try {
        store.leases.release(token);
      } catch (err) {
        log.warn({ err }, 'releasing the store lease failed; it expires by itself');
      }
    },
  };
}
