import { SyncPgClient, type SyncPgOptions } from '../postgres/sync-client.js';
import { numberedPlaceholders, redactedUrl, type SqlDb } from './sql-db.js';

/**
 * SqlDb over one PostgreSQL connection (SyncPgClient). A transaction is BEGIN … COMMIT; a nested one
 * is a SAVEPOINT. Statements arrive with `?` placeholders and go out with `$n`.
 */
export function postgresDb(url: string, opts: SyncPgOptions = {}): SqlDb {
  const client = new SyncPgClient(url, opts);
  const converted = new Map<string, string>();
  const text = (sql: string): string => {
    let out = converted.get(sql);
    if (out === undefined) {
      out = numberedPlaceholders(sql);
      converted.set(sql, out);
    }
    return out;
  };
  let depth = 0;
  let open = true;
  // Only a statement outside a transaction may connect again: one inside must fail with its transaction.
  const outside = () => ({ reconnect: depth === 0 });
  /** `fn` between `begin` and `commit`; `rollback` when it throws. */
  const bracketed = <T>(begin: string, commit: string, rollback: string, fn: () => T): T => {
    client.query(begin, [], outside());
    depth += 1;
    try {
      const result = fn();
      client.query(commit, [], { reconnect: false });
      return result;
    } catch (err) {
      try {
        client.query(rollback, [], { reconnect: false });
      } catch {
        // The connection is gone: PostgreSQL rolls back what it never saw committed.
      }
      throw err;
    } finally {
      depth -= 1;
    }
  };
  return {
    dialect: 'postgres',
    where: redactedUrl(url),
    get open() {
      return open;
    },
    all: <R>(sql: string, params: readonly unknown[] = []) => client.query<R & Record<string, unknown>>(text(sql), params, outside()).rows as R[],
    get: <R>(sql: string, params: readonly unknown[] = []) => client.query<R & Record<string, unknown>>(text(sql), params, outside()).rows[0] as R | undefined,
    run: (sql, params = []) => ({ changes: client.query(text(sql), params, outside()).rowCount }),
    exec: (script) => void client.query(script, [], outside()),
    transaction<T>(fn: () => T): T {
      const savepoint = depth > 0 ? `sp_${depth}` : null;
      if (!savepoint) return bracketed('BEGIN', 'COMMIT', 'ROLLBACK', fn);
      return bracketed(`SAVEPOINT ${savepoint}`, `RELEASE SAVEPOINT ${savepoint}`, `ROLLBACK TO SAVEPOINT ${savepoint}`, fn);
    },
    snapshot<T>(fn: () => T): T {
      return depth > 0 ? fn() : bracketed('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', 'COMMIT', 'ROLLBACK', fn);
    },
    close: () => {
      open = false;
      client.close();
    },
  };
}
