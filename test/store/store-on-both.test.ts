import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, openStore, type Store } from '../../src/store/index.js';
import { SyncPgClient } from '../../src/store/postgres/sync-client.js';
import { usePostgres, type PostgresServer } from '../support/postgres.js';
import { tempDir } from './temp-dir.js';

/**
 * The same store, the same rules, on SQLite and on a real PostgreSQL: the journal and its filters,
 * atomic transactions, the append-only log, and `verifyAudit` catching the same tampering.
 */
let pg: PostgresServer;
let admin: SyncPgClient;
let dbSeq = 0;
beforeAll(async () => {
  pg = await usePostgres();
  admin = new SyncPgClient(pg.url);
});
afterAll(async () => {
  admin?.close();
  await pg?.stop();
});

interface Backend {
  /** Where a fresh, empty store of this kind is: open it with `openStore(where)`. */
  fresh(): { where: Parameters<typeof openStore>[0]; cleanup(): void };
  /** What someone with direct access could do: runs SQL with the append-only triggers out of the way. */
  tamper(where: Parameters<typeof openStore>[0], sql: string): void;
  /** SQL that sets the `value` key of a row's JSON data. */
  setValue: string;
}

const sqlite: Backend = {
  fresh() {
    const tmp = tempDir();
    return { where: { path: tmp.file() }, cleanup: tmp.cleanup };
  },
  tamper(where, sql) {
    const raw = new Database((where as { path: string }).path);
    try {
      raw.exec('DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;');
      raw.exec(sql);
    } finally {
      raw.close();
    }
  },
  setValue: "json_set(data, '$.value', 0)",
};

const postgres: Backend = {
  fresh() {
    const name = `store_${process.pid}_${++dbSeq}`;
    admin.query(`CREATE DATABASE ${name}`);
    const url = pg.url.replace(/\/postgres$/, `/${name}`);
    return { where: { url }, cleanup: () => void admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  },
  tamper(where, sql) {
    const raw = new SyncPgClient((where as { url: string }).url);
    try {
      raw.query('ALTER TABLE events DISABLE TRIGGER USER');
      raw.query(sql);
    } finally {
      raw.close();
    }
  },
  setValue: "jsonb_set(data::jsonb, '{value}', '0')::text",
};

describe.each([
  ['SQLite', sqlite],
  ['PostgreSQL', postgres],
] as const)('the store on %s', (_name, backend) => {
  let place: ReturnType<Backend['fresh']>;
  let store: Store;
  beforeEach(() => {
    place = backend.fresh();
    store = openStore(place.where);
  });
  afterEach(() => {
    store?.close();
    place?.cleanup();
  });

  const fill = (n: number) =>
    store.transaction(() => {
      for (let i = 1; i <= n; i += 1) store.append({ at: 1_000 + i, actor: i % 2 ? 'U1' : 'faultline', kind: i % 3 ? 'reading' : 'breach', experimentId: `exp-${i % 4}`, data: { i, value: i / 7 } });
    });

  it('opens twice without migrating again, and journals with filters', () => {
    store.close();
    store = openStore(place.where);
    fill(12);
    expect(store.journal('exp-1').map((e) => e.seq)).toEqual([1, 5, 9]);
    expect(store.events({ kinds: ['breach'] }).map((e) => e.seq)).toEqual([3, 6, 9, 12]);
    expect(store.events({ afterSeq: 10 }).map((e) => e.seq)).toEqual([11, 12]);
    expect(store.events({ experimentId: 'exp-2', limit: 2 }).map((e) => e.seq)).toEqual([2, 6]);
    expect(store.events({ kinds: [] })).toEqual([]);
    expect(store.events()[0]!.data).toEqual({ i: 1, value: 1 / 7 });
  });

  it('a transaction that throws leaves nothing behind; a promise inside one is refused', () => {
    expect(() =>
      store.transaction(() => {
        store.append({ at: 1, actor: 'U1', kind: 'proposed', experimentId: 'exp-x' });
        store.experiments.save({ id: 'exp-x', name: 'x', state: 'proposed', updatedAt: 1, data: {} });
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(store.events()).toEqual([]);
    expect(store.experiments.get('exp-x')).toBeUndefined();
    expect(() => store.transaction(() => Promise.resolve(1))).toThrow(/must be synchronous/);
    expect(store.verifyAudit()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  it('the log refuses UPDATE and DELETE of itself', () => {
    fill(3);
    const raw = 'path' in place.where ? new Database(place.where.path) : null;
    try {
      if (raw) {
        expect(() => raw.exec('UPDATE events SET actor = 1 WHERE seq = 1')).toThrow(/append-only/);
        expect(() => raw.exec('DELETE FROM events')).toThrow(/append-only/);
      } else {
        const c = new SyncPgClient((place.where as { url: string }).url);
        try {
          expect(() => c.query("UPDATE events SET actor = 'x' WHERE seq = 1")).toThrow(/append-only: UPDATE refused/);
          expect(() => c.query('DELETE FROM events')).toThrow(/append-only: DELETE refused/);
          expect(() => c.query('TRUNCATE events')).toThrow(/append-only: TRUNCATE refused/);
        } finally {
          c.close();
        }
      }
    } finally {
      raw?.close();
    }
    expect(store.verifyAudit()).toMatchObject({ ok: true, count: 3 });
  });

  it('verifyAudit names the same tampering on both: a changed row, a broken link, a deleted row, a deleted tail', () => {
    fill(40);
    const last = store.events().at(-1)!;
    expect(store.verifyAudit()).toEqual({ ok: true, count: 40, head: last.hash });
    backend.tamper(place.where, `UPDATE events SET data = ${backend.setValue} WHERE seq = 37`);
    expect(store.verifyAudit()).toEqual({ ok: false, count: 40, firstBadSeq: 37, reason: 'hash mismatch' });
    backend.tamper(place.where, `UPDATE events SET prev_hash = '${'f'.repeat(64)}' WHERE seq = 21`);
    expect(store.verifyAudit()).toEqual({ ok: false, count: 40, firstBadSeq: 21, reason: 'broken link' });
    backend.tamper(place.where, 'DELETE FROM events WHERE seq = 9');
    expect(store.verifyAudit()).toEqual({ ok: false, count: 39, firstBadSeq: 9, reason: 'seq gap' });
  });

  it('a deleted tail is a gap too: the head remembers the highest seq, and a new append does not reuse it', () => {
    fill(10);
    backend.tamper(place.where, 'DELETE FROM events WHERE seq > 8');
    expect(store.verifyAudit()).toEqual({ ok: false, count: 8, firstBadSeq: 9, reason: 'seq gap' });
    expect(store.append({ at: 2_000, actor: 'U1', kind: 'reading' }).seq).toBe(11);
  });

  it('two stores on one database (two replicas) append to one chain', () => {
    const other = openStore(place.where);
    try {
      for (let i = 0; i < 20; i += 1) (i % 2 ? store : other).append({ at: i, actor: 'U1', kind: 'reading', data: { i } });
      expect(store.events().map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(other.verifyAudit()).toMatchObject({ ok: true, count: 20 });
    } finally {
      other.close();
    }
  });
});
