import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, eventHash } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

describe.each(STORE_BACKENDS)('on %s', (backend) => {
const db = storeEachTest(backend);

function fill(n: number): void {
  db.store.transaction(() => {
    for (let i = 1; i <= n; i += 1) {
      db.store.append({ at: 1_000 + i, actor: i % 2 ? 'U1' : 'faultline', kind: i % 3 ? 'reading' : 'breach', experimentId: `exp-${i % 4}`, data: { i, value: i / 7 } });
    }
  });
}

/** A second, raw connection: what an attacker (or a careless admin) with the database could do. */
function tamper(sql: string, ...params: unknown[]): void {
  db.raw(sql, params, { tampering: true });
}

describe('verifyAudit', () => {
  it('an empty log verifies with the genesis head', () => {
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  it('a 500-row chain verifies, head is the last hash, across reopen', () => {
    fill(500);
    const last = db.store.events().at(-1)!;
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 500, head: last.hash });
    db.reopen();
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 500, head: last.hash });
  });

  it('changing one row’s data names exactly that seq as a hash mismatch', () => {
    fill(500);
    tamper(backend === 'PostgreSQL' ? `UPDATE events SET data = jsonb_set(data::jsonb, '{value}', '0')::text WHERE seq = 137` : `UPDATE events SET data = json_set(data, '$.value', 0) WHERE seq = 137`);
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 500, firstBadSeq: 137, reason: 'hash mismatch' });
  });

  it('catches changes to every hashed column', () => {
    fill(20);
    const changes: Array<[string, number]> = [
      ['UPDATE events SET at = at + 1 WHERE seq = ?', 3],
      ["UPDATE events SET actor = 'someone-else' WHERE seq = ?", 5],
      ["UPDATE events SET kind = 'approved' WHERE seq = ?", 7],
      ["UPDATE events SET experiment_id = NULL WHERE seq = ?", 9],
      [`UPDATE events SET data = '{ "value": ${11 / 7}, "i": 11 }' WHERE seq = ?`, 11], // same values, not canonical text
    ];
    for (const [sql, seq] of changes.reverse()) {
      tamper(sql, seq);
      expect(db.store.verifyAudit()).toMatchObject({ ok: false, firstBadSeq: seq, reason: 'hash mismatch' });
    }
  });

  it('a row re-hashed after editing breaks the link of the next row', () => {
    fill(10);
    // Re-hash row 4 after editing it: its own hash is then consistent, so row 5's prev link breaks.
    const row = db.store.events({ afterSeq: 3, limit: 1 })[0]!;
    const forged = { ...row, data: { ...row.data, value: 0 } };
    tamper('UPDATE events SET data = ?, hash = ? WHERE seq = 4', JSON.stringify({ i: 4, value: 0 }), eventHash(forged));
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 10, firstBadSeq: 5, reason: 'broken link' });
  });

  it('a changed prev_hash is a broken link', () => {
    fill(10);
    tamper('UPDATE events SET prev_hash = ? WHERE seq = 6', 'f'.repeat(64));
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 10, firstBadSeq: 6, reason: 'broken link' });
  });

  it('deleting a middle row is reported as a seq gap at the missing seq', () => {
    fill(500);
    tamper('DELETE FROM events WHERE seq = 250');
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 499, firstBadSeq: 250, reason: 'seq gap' });
  });

  it('deleting the first row or the tail is reported too', () => {
    fill(10);
    tamper('DELETE FROM events WHERE seq >= 8');
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 7, firstBadSeq: 8, reason: 'seq gap' });
    tamper('DELETE FROM events WHERE seq = 1');
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 6, firstBadSeq: 1, reason: 'seq gap' });
  });

  it('appending after a deleted tail does not hide the gap', () => {
    fill(10);
    tamper('DELETE FROM events WHERE seq = 10');
    const next = db.store.append({ at: 1, actor: 'u', kind: 'k' });
    expect(next.seq).toBe(11);
    expect(db.store.verifyAudit()).toEqual({ ok: false, count: 10, firstBadSeq: 10, reason: 'seq gap' });
  });

  it('reports the first bad row when several are bad', () => {
    fill(30);
    tamper("UPDATE events SET actor = 'x' WHERE seq IN (12, 20)");
    expect(db.store.verifyAudit()).toMatchObject({ ok: false, firstBadSeq: 12 });
  });
});

describe('append-only triggers', () => {
  it('refuse UPDATE and DELETE through SQL on any connection', () => {
    fill(5);
    expect(() => db.raw("UPDATE events SET actor = 'x' WHERE seq = 2")).toThrow(/append-only: UPDATE refused/);
    expect(() => db.raw('DELETE FROM events WHERE seq = 2')).toThrow(/append-only: DELETE refused/);
    expect(() => db.raw('DELETE FROM events')).toThrow(/append-only/);
    expect(db.store.events()).toHaveLength(5);
    expect(db.store.verifyAudit()).toMatchObject({ ok: true, count: 5 });
  });

  it('are still present after reopening', () => {
    db.reopen();
    const names =
      backend === 'PostgreSQL'
        ? db.raw("SELECT tgname AS name FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal ORDER BY tgname")
        : db.raw("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name");
    const expected = backend === 'PostgreSQL' ? ['events_no_delete', 'events_no_truncate', 'events_no_update'] : ['events_no_delete', 'events_no_update'];
    expect(names.map((n) => n.name)).toEqual(expected);
  });
});
});
