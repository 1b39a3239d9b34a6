import type { SqlDb } from './sql/sql-db.js';
import { guard } from './store-error.js';

/** Who leads and since which takeover: every effect of a leader carries it. */
export interface FenceToken {
  holder: string;
  epoch: number;
}

/** The leader lease as the store sees it (the rows are written by replica election, app/replica/). */
export interface LeaderLeases {
  /**
   * Whether `token` holds the lease right now. On PostgreSQL the server's clock decides, as it does
   * when a follower takes over, so two replicas' clocks never have to agree.
   */
  holds(token: FenceToken): boolean;
  /**
   * SQLite: takes the lease for `holder` unless another holds it live (not expired, and not `stale`
   * by the caller's judgement: a process on this host that is gone). One engine per file.
   */
  claim(holder: string, ttlMs: number, now: number, stale: (holder: string) => boolean): { ok: true; epoch: number } | { ok: false; holder: string; expiresAt: number };
  /** SQLite: extends a lease still held by `token`; false if it is not. */
  renew(token: FenceToken, ttlMs: number, now: number): boolean;
  /** SQLite: lets it go (a clean shutdown). */
  release(token: FenceToken): void;
}

export function createLeaderLeases(db: SqlDb, now: () => number = Date.now): LeaderLeases {
  const path = db.where;
  const HOLDS =
    db.dialect === 'postgres'
      ? 'SELECT 1 AS one FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > now()'
      : 'SELECT 1 AS one FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > ?';
  const sqliteOnly = (op: string) => {
    if (db.dialect !== 'sqlite') throw new Error(`leader_lease.${op} is for SQLite; replicas on PostgreSQL elect through ReplicaDb`);
  };
  return {
    claim(holder, ttlMs, now, stale) {
      sqliteOnly('claim');
      return guard(db, path, 'leader_lease.claim', () =>
        db.transaction(() => {
          const row = db.get<{ holder: string; epoch: number; expires_at: number }>('SELECT holder, epoch, expires_at FROM leader_lease WHERE id = 1');
          if (row && row.holder !== holder && row.expires_at > now && !stale(row.holder)) return { ok: false as const, holder: row.holder, expiresAt: row.expires_at };
          const epoch = (row?.epoch ?? 0) + 1;
          db.run(
            'INSERT INTO leader_lease (id, holder, epoch, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at',
            [holder, epoch, now, now + ttlMs],
          );
          return { ok: true as const, epoch };
        }),
      );
    },
    renew(token, ttlMs, now) {
      sqliteOnly('renew');
      return guard(db, path, 'leader_lease.renew', () => db.run('UPDATE leader_lease SET expires_at = ? WHERE id = 1 AND holder = ? AND epoch = ?', [now + ttlMs, token.holder, token.epoch]).changes === 1);
    },
    release(token) {
      sqliteOnly('release');
      guard(db, path, 'leader_lease.release', () => db.run('UPDATE leader_lease SET expires_at = 0 WHERE id = 1 AND holder = ? AND epoch = ?', [token.holder, token.epoch]));
    },
    holds(token) {
      return guard(db, path, 'leader_lease.holds', () => {
        const params = db.dialect === 'postgres' ? [token.holder, token.epoch] : [token.holder, token.epoch, now()];
        return db.get<{ one: number }>(HOLDS, params) !== undefined;
      });
    },
  };
}
