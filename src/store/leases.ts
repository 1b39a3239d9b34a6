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
}

export function createLeaderLeases(db: SqlDb, now: () => number = Date.now): LeaderLeases {
  const path = db.where;
  const HOLDS =
    db.dialect === 'postgres'
      ? 'SELECT 1 AS one FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > now()'
      : 'SELECT 1 AS one FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > ?';
  return {
    holds(token) {
      return guard(db, path, 'leader_lease.holds', () => {
        const params = db.dialect === 'postgres' ? [token.holder, token.epoch] : [token.holder, token.epoch, now()];
        return db.get<{ one: number }>(HOLDS, params) !== undefined;
      });
    },
  };
}
