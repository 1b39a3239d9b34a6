import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncPgClient } from '../../src/store/postgres/sync-client.js';
import { createDatabase, startPostgres, usePostgres, type PostgresServer } from '../support/postgres.js';
import { openStore } from '../../src/store/index.js';

describe('SyncPgClient against a real PostgreSQL', () => {
  let pg: PostgresServer;
  let url: string;
  beforeAll(async () => {
    pg = await usePostgres();
    url = createDatabase(pg, 'client').url;
  });
  afterAll(async () => pg?.stop());

  it('answers synchronously, with parameters and numbers as numbers', () => {
    const c = new SyncPgClient(url);
    try {
      expect(c.query<{ n: number; t: string }>('SELECT $1::bigint + 1 AS n, $2::text AS t', [41, 'x']).rows).toEqual([{ n: 42, t: 'x' }]);
      c.query('CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL)');
      expect(c.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']).rowCount).toBe(2);
      expect(c.query<{ id: number }>('SELECT id FROM t ORDER BY id').rows.map((r) => r.id)).toEqual([1, 2]);
    } finally {
      c.close();
    }
  });

  it('a transaction left idle (its process paused mid-write) is ended by the server: its row lock does not block another connection', () => {
    const paused = new SyncPgClient(url);
    const other = new SyncPgClient(url);
    try {
      other.query('CREATE TABLE head (id int PRIMARY KEY, n int NOT NULL)');
      other.query('INSERT INTO head VALUES (1, 0)');
      paused.query('BEGIN');
      paused.query('SELECT n FROM head WHERE id = 1 FOR UPDATE', [], { reconnect: false });
      // The other connection waits for the lock only until the server ends the idle transaction.
      expect(other.query('UPDATE head SET n = n + 1 WHERE id = 1').rowCount).toBe(1);
      expect(() => paused.query('COMMIT', [], { reconnect: false })).toThrow(/PostgreSQL/);
      expect(other.query<{ n: number }>('SELECT n FROM head').rows).toEqual([{ n: 1 }]);
    } finally {
      paused.close();
      other.close();
    }
  });

  it('a transaction is one connection in order: rolled back, nothing stays', () => {
    const c = new SyncPgClient(url);
    try {
      c.query('BEGIN');
      c.query('INSERT INTO t VALUES (3, $1)', ['c']);
      c.query('ROLLBACK');
      expect(c.query('SELECT 1 FROM t WHERE id = 3').rowCount).toBe(0);
    } finally {
      c.close();
    }
  });

  it("PostgreSQL's errors come back as store_error with their SQLSTATE, and the client goes on", () => {
    const c = new SyncPgClient(url);
    try {
      expect(() => c.query('INSERT INTO t VALUES (1, $1)', ['dup'])).toThrow(expect.objectContaining({ code: 'store_error', details: expect.objectContaining({ sqlstate: '23505' }) }));
      expect(() => c.query('SELECT * FROM no_such_table')).toThrow(expect.objectContaining({ details: expect.objectContaining({ sqlstate: '42P01' }) }));
      expect(c.query('SELECT 1 AS one').rows).toEqual([{ one: 1 }]);
    } finally {
      c.close();
    }
  });

  it('a query past its timeout fails instead of hanging, and the client stays closed', () => {
    const c = new SyncPgClient(url, { queryTimeoutMs: 300 });
    expect(() => c.query('SELECT pg_sleep(3)')).toThrow(/did not answer within 300 ms/);
    expect(() => c.query('SELECT 1')).toThrow(/connection closed/);
    c.close();
  });

  it('a server nobody listens on fails the first query within the connect timeout', () => {
    const c = new SyncPgClient('postgres://faultline@127.0.0.1:1/postgres', { connectTimeoutMs: 1000, queryTimeoutMs: 5000 });
    expect(() => c.query('SELECT 1')).toThrow(expect.objectContaining({ code: 'store_error' }));
    c.close();
  });
});

describe('PostgreSQL restarting under a running store', () => {
  let own: PostgresServer;
  beforeAll(async () => {
    own = await startPostgres(); // its own server: the shared one must not restart under other tests
  });
  afterAll(async () => own?.stop());

  it('a statement while the server is down fails as store_error; after the restart the store goes on by itself', () => {
    const store = openStore({ url: own.url });
    try {
      store.append({ at: 1, actor: 'U1', kind: 'proposed', experimentId: 'exp-1' });
      own.restart!();
      // The first statement may find the dead connection; at most one fails, and only as store_error.
      let failures = 0;
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          store.append({ at: 2, actor: 'U1', kind: 'approved', experimentId: 'exp-1' });
          break;
        } catch (err) {
          expect(err).toMatchObject({ code: "store_error" });
          failures += 1;
        }
      }
      expect(failures).toBeLessThan(2);
      expect(store.journal('exp-1').map((e) => e.kind)).toEqual(['proposed', 'approved']);
      expect(store.verifyAudit()).toMatchObject({ ok: true, count: 2 });
    } finally {
      store.close();
    }
  });
});
