import type { SqlDb } from './sql/sql-db.js';
import { FaultlineError } from '../core/errors.js';
import { guard } from './store-error.js';

/**
 * Requests already handled (a signed Slack request, one click), each kept until its replay window
 * ends. The store holds them, so a bot that restarted still knows what it acted on; every process on
 * the same database shares them.
 */
export interface SeenRequests {
  /**
   * Records `key` as seen at `now` until `expiresAt`. True the first time (or once an earlier
   * record of it expired); false, changing nothing, while a record of it is live. Atomic: of two
   * callers racing with one key, exactly one gets true. Rows expired at `now` are removed.
   */
  firstTime(key: string, now: number, expiresAt: number): boolean;
  /** Removes the rows expired at `now`; returns how many went. */
  purge(now: number): number;
  /** Live rows at `now` (for tests and metrics). */
  count(now: number): number;
}

export function createSeenRequests(db: SqlDb): SeenRequests {
  const path = db.where;
  // A key whose row expired is taken again; a live one is left alone (0 changes).
  const UPSERT = `INSERT INTO seen_requests (key, seen_at, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at
     WHERE seen_requests.expires_at <= excluded.seen_at`;
  const PURGE = 'DELETE FROM seen_requests WHERE expires_at <= ?';
  return {
    firstTime(key, now, expiresAt) {
      return guard(db, path, 'seen_requests.firstTime', () => {
        if (key.length === 0) throw new FaultlineError('store_error', `store seen_requests.firstTime failed (${path}): empty key`, { path });
        if (!Number.isInteger(now) || !Number.isInteger(expiresAt)) {
          throw new FaultlineError('store_error', `store seen_requests.firstTime failed (${path}): now and expiresAt must be integers (ms)`, { path });
        }
        db.run(PURGE, [now]);
        return db.run(UPSERT, [key, now, expiresAt]).changes === 1;
      });
    },
    purge(now) {
      return guard(db, path, 'seen_requests.purge', () => db.run(PURGE, [now]).changes);
    },
    count(now) {
      return guard(db, path, 'seen_requests.count', () => db.get<{ n: number }>('SELECT count(*) AS n FROM seen_requests WHERE expires_at > ?', [now])?.n ?? 0);
    },
  };
}
