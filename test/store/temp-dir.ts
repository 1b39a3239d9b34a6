import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openStore, type Store, type StoreOptions } from '../../src/store/index.js';
import { SyncPgClient } from '../../src/store/postgres/sync-client.js';
import { numberedPlaceholders } from '../../src/store/sql/sql-db.js';
import { createDatabase, usePostgres, type PostgresServer } from '../support/postgres.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory per test; `cleanup()` removes it. */
export function tempDir(prefix = 'faultline-store-'): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name = 'faultline.db') => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The databases every store test runs on: the embedded SQLite file and a real PostgreSQL. */
export const STORE_BACKENDS = ['SQLite', 'PostgreSQL'] as const;
export type StoreBackend = (typeof STORE_BACKENDS)[number];

export interface StoreContext {
  backend: StoreBackend;
  tmp: ReturnType<typeof tempDir>;
  /** What `openStore` takes to open this test's database again (a second process, a restart). */
  where: StoreOptions;
  store: Store;
  reopen(): void;
  /** Rows in `table`, read beside the store (as another process would). */
  rawCount(table: string): number;
  /**
   * SQL on a second connection, as someone with direct access to the database could run it; with
   * `tampering`, the log's append-only triggers are out of the way first. `?` placeholders.
   */
  raw(sql: string, params?: unknown[], opts?: { tampering?: boolean }): Array<Record<string, unknown>>;
}

/**
 * A store on a fresh database for each test of the file, closed and removed after it; `reopen()` is
 * a restart. On PostgreSQL the file shares one server (started for the file) and each test gets its
 * own database on it.
 */
export function storeEachTest(backend: StoreBackend = 'SQLite'): StoreContext {
  let server: PostgresServer | undefined;
  let dropDb: (() => void) | undefined;
  if (backend === 'PostgreSQL') {
    beforeAll(async () => {
      server = await usePostgres();
    });
    afterAll(async () => server?.stop());
  }
  const ctx = {
    backend,
    reopen() {
      ctx.store.close();
      ctx.store = openStore(ctx.where);
    },
    raw(sql: string, params: unknown[] = [], opts: { tampering?: boolean } = {}) {
      if ('url' in ctx.where) {
        const c = new SyncPgClient(ctx.where.url);
        try {
          if (opts.tampering) c.query('ALTER TABLE events DISABLE TRIGGER USER');
          return c.query(numberedPlaceholders(sql), params).rows;
        } finally {
          c.close();
        }
      }
      const raw = new Database(ctx.tmp.file());
      try {
        if (opts.tampering) raw.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
        const stmt = raw.prepare(sql);
        return stmt.reader ? (stmt.all(...params) as Array<Record<string, unknown>>) : (stmt.run(...params), []);
      } finally {
        raw.close();
      }
    },
    rawCount(table: string) {
      if ('url' in ctx.where) {
        const c = new SyncPgClient(ctx.where.url);
        try {
          return c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`).rows[0]!.n;
        } finally {
          c.close();
        }
      }
      const raw = new Database(ctx.tmp.file(), { readonly: true });
      try {
        return (raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        raw.close();
      }
    },
  } as StoreContext;
  beforeEach(() => {
    ctx.tmp = tempDir();
    if (backend === 'PostgreSQL') {
      const db = createDatabase(server!, 'store');
      ctx.where = { url: db.url };
      dropDb = db.drop;
    } else {
      ctx.where = { path: ctx.tmp.file() };
    }
    ctx.store = openStore(ctx.where);
  });
  afterEach(() => {
    ctx.store.close();
    dropDb?.();
    dropDb = undefined;
    ctx.tmp.cleanup();
  });
  return ctx;
}
