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
      client.query(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN', [], outside());
      depth += 1;
      try {
        const result = fn();
        client.query(savepoint ? `RELEASE SAVEPOINT ${savepoint}` : 'COMMIT', [], { reconnect: false });
        return result;
      } catch (err) {
        try {
          client.query(savepoint ? `ROLLBACK TO SAVEPOINT ${savepoint}` : 'ROLLBACK', [], { reconnect: false });
        } catch {
          // The connection is gone: PostgreSQL rolls back what it never saw committed.
        }
        throw err;
      } finally {
        depth -= 1;
      }
    },
    snapshot<T>(fn: () => T): T {
      if (depth > 0) return fn();
      client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', [], outside());
      depth += 1;
      try {
        const result = fn();
        client.query('COMMIT', [], { reconnect: false });
        return result;
      } catch (err) {
        try {
          client.query('ROLLBACK', [], { reconnect: false });
        } catch {
          // the connection is gone; nothing was written
        }
        throw err;
      } finally {
        depth -= 1;
      }
    },
    close: () => {
      open = false;
      client.close();
    },
  };
}
