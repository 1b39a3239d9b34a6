import type Database from 'better-sqlite3';
import type { SqlDb } from './sql-db.js';

/** SqlDb over a better-sqlite3 connection: statements prepared once and kept; IMMEDIATE transactions. */
export function sqliteDb(db: Database.Database, path: string): SqlDb {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    return stmt;
  };
  return {
    dialect: 'sqlite',
    where: path,
    get open() {
      return db.open;
    },
    all: <R>(sql: string, params: readonly unknown[] = []) => prepared(sql).all(...params) as R[],
    get: <R>(sql: string, params: readonly unknown[] = []) => prepared(sql).get(...params) as R | undefined,
    run: (sql, params = []) => ({ changes: prepared(sql).run(...params).changes }),
    exec: (script) => void db.exec(script),
    // better-sqlite3 makes a nested transaction function a savepoint by itself.
    transaction: <T>(fn: () => T): T => (db.inTransaction ? db.transaction(fn)() : db.transaction(fn).immediate()),
    // DEFERRED: a read transaction holds one snapshot (WAL) without taking the write lock.
    snapshot: <T>(fn: () => T): T => (db.inTransaction ? fn() : db.transaction(fn).deferred()),
    close: () => {
      if (db.open) db.close();
    },
  };
}
