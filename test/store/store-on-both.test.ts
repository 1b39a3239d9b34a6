import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, openStore } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

/**
 * The same store, the same rules, on SQLite and on a real PostgreSQL: the journal and its filters,
 * atomic transactions, the append-only log, and `verifyAudit` catching the same tampering.
 */

/** SQL that sets the `value` key of a row's JSON data, in each dialect. */
const SET_VALUE = { SQLite: "json_set(data, '$.value', 0)", PostgreSQL: "jsonb_set(data::jsonb, '{value}', '0')::text" } as const;

describe.each(STORE_BACKENDS)('the store on %s', (backend) => {
  const db = storeEachTest(backend);
  const tamper = (sql: string) => void db.raw(sql, [], { tampering: true });

  const fill = (n: number) =>
    db.store.transaction(() => {
      for (let i = 1; i <= n; i += 1) db.store.append({ at: 1_000 + i, actor: i % 2 ? 'U1' : 'faultline', kind: i % 3 ? 'reading' : 'breach', experimentId: `exp-${i % 4}`, data: { i, value: i / 7 } });
    });

  it('opens twice without migrating again, and journals with filters', () => {
    db.reopen();
    fill(12);
    expect(db.store.journal('exp-1').map((e) => e.seq)).toEqual([1, 5, 9]);
    expect(db.store.events({ kinds: ['breach'] }).map((e) => e.seq)).toEqual([3, 6, 9, 12]);
    expect(db.store.events({ afterSeq: 10 }).map((e) => e.seq)).toEqual([11, 12]);
    expect(db.store.events({ experimentId: 'exp-2', limit: 2 }).map((e) => e.seq)).toEqual([2, 6]);
    expect(db.store.events({ kinds: [] })).toEqual([]);
    expect(db.store.events()[0]!.data).toEqual({ i: 1, value: 1 / 7 });
  });

  it('a transaction that throws leaves nothing behind; a promise inside one is refused', () => {
    expect(() =>
      db.store.transaction(() => {
        db.store.append({ at: 1, actor: 'U1', kind: 'proposed', experimentId: 'exp-x' });
        db.store.experiments.save({ id: 'exp-x', name: 'x', state: 'proposed', updatedAt: 1, data: {} });
        throw new Error('no');
      }),
    ).toThrow('no');
    expect(db.store.events()).toEqual([]);
    expect(db.store.experiments.get('exp-x')).toBeUndefined();
    expect(() => db.store.transaction(() => Promise.resolve(1))).toThrow(/must be synchronous/);
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  it('the log refuses UPDATE and DELETE of itself', () => {
    fill(3);
    if (backend === 'SQLite') {
      expect(() => db.raw('UPDATE events SET actor = 1 WHERE seq = 1')).toThrow(/append-only/);
      expect(() => db.raw('DELETE FROM events')).toThrow(/append-only/);
    } else {
      expect(() => db.raw("UPDATE events SET actor = 'x' WHERE seq = 1")).toThrow(/append-only: UPDATE refused/);
      expect(() => db.raw('DELETE FROM events')).toThrow(/append-only: DELETE refused/);
      expect(() => db.raw('TRUNCATE events')).toThrow(/append-only: TRUNCATE refused/);
    }
    expect(db.store.verifyAudit()).toMatchObject({ ok: true, count: 3 });
  });

  it('verifyAudit names the same tampering on both: a changed row, a broken link, a deleted row, a deleted tail', () => {
    fill(40);
    const last = db.store.events().at(-1)!;
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 40, head: last.hash });
    tamper(`UPDATE events SET data = ${SET_VALUE[backend]} WHERE seq = 37`);
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 40, firstBadSeq: 37, reason: 'hash mismatch' });
    tamper(`UPDATE events SET prev_hash = '${'f'.repeat(64)}' WHERE seq = 21`);
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 40, firstBadSeq: 21, reason: 'broken link' });
    tamper('DELETE FROM events WHERE seq = 9');
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 39, firstBadSeq: 9, reason: 'seq gap' });
  });

  it('a deleted tail is a gap too: the head remembers the highest seq, and a new append does not reuse it', () => {
    fill(10);
    tamper('DELETE FROM events WHERE seq > 8');
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 8, firstBadSeq: 9, reason: 'seq gap' });
    expect(db.store.append({ at: 2_000, actor: 'U1', kind: 'reading' }).seq).toBe(11);
  });

  it('two stores on one database (two replicas) append to one chain', () => {
    const other = openStore(db.where);
    try {
      for (let i = 0; i < 20; i += 1) (i % 2 ? db.store : other).append({ at: i, actor: 'U1', kind: 'reading', data: { i } });
      expect(db.store.events().map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(other.verifyAudit()).toMatchObject({ ok: true, count: 20 });
    } finally {
      other.close();
    }
  });
});
