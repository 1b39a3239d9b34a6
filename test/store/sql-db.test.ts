import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { numberedPlaceholders, placeholders, redactedUrl, type SqlDb } from '../../src/store/sql/sql-db.js';
import { postgresDb } from '../../src/store/sql/postgres-db.js';
import { sqliteDb } from '../../src/store/sql/sqlite-db.js';
import { createDatabase, usePostgres, type PostgresServer } from '../support/postgres.js';

describe('statements written once', () => {
  it('? becomes $n outside literals, quoted names and comments', () => {
    expect(numberedPlaceholders("SELECT ? , 'it''s ? not', \"a?b\" FROM t -- why?\nWHERE x = ? AND y IN (?, ?)")).toBe(
      "SELECT $1 , 'it''s ? not', \"a?b\" FROM t -- why?\nWHERE x = $2 AND y IN ($3, $4)",
    );
    expect(placeholders(3)).toBe('?, ?, ?');
    expect(() => placeholders(0)).toThrow(RangeError);
    expect(redactedUrl('postgres://app:s3cret@db:5432/faultline')).toBe('postgres://app:***@db:5432/faultline');
  });
});

let pg: PostgresServer;
let url: string;
beforeAll(async () => {
  pg = await usePostgres();
  url = createDatabase(pg, 'sqldb').url;
});
afterAll(async () => pg?.stop());

const both: Array<[string, () => SqlDb]> = [
  ['SQLite', () => sqliteDb(new Database(':memory:'), ':memory:')],
  ['PostgreSQL', () => postgresDb(url)],
];

describe.each(both)('SqlDb on %s', (_name, open) => {
  let db: SqlDb;
  beforeAll(() => {
    db = open();
    db.exec('DROP TABLE IF EXISTS kv; CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)');
  });
  afterAll(() => db?.close());

  it('runs, reads one, reads all, and counts changes', () => {
    expect(db.run('INSERT INTO kv (k, v) VALUES (?, ?), (?, ?)', ['a', 1, 'b', 2]).changes).toBe(2);
    expect(db.get<{ v: number }>('SELECT v FROM kv WHERE k = ?', ['b'])).toEqual({ v: 2 });
    expect(db.get('SELECT v FROM kv WHERE k = ?', ['zzz'])).toBeUndefined();
    expect(db.all<{ k: string }>(`SELECT k FROM kv WHERE k IN (${placeholders(2)}) ORDER BY k`, ['a', 'b']).map((r) => r.k)).toEqual(['a', 'b']);
    expect(db.run('UPDATE kv SET v = v + 1 WHERE k = ?', ['nope']).changes).toBe(0);
  });

  it('a transaction that throws leaves nothing; one that returns keeps everything', () => {
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['c', 3]);
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    expect(db.get('SELECT v FROM kv WHERE k = ?', ['c'])).toBeUndefined();
    expect(db.transaction(() => db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['c', 3]).changes)).toBe(1);
    expect(db.get<{ v: number }>('SELECT v FROM kv WHERE k = ?', ['c'])).toEqual({ v: 3 });
  });

  it('a nested transaction is a savepoint: its failure, caught, undoes only its own writes', () => {
    db.transaction(() => {
      db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['outer', 10]);
      expect(() =>
        db.transaction(() => {
          db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['inner', 11]);
          db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['outer', 12]); // duplicate key: fails
        }),
      ).toThrow();
    });
    expect(db.get('SELECT v FROM kv WHERE k = ?', ['outer'])).toEqual({ v: 10 });
    expect(db.get('SELECT v FROM kv WHERE k = ?', ['inner'])).toBeUndefined();
  });
});
