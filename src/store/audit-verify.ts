import type Database from 'better-sqlite3';
import { canonicalJson } from '../core/canonical-json.js';
import { EVENT_COLUMNS, eventHash, type EventRow } from './events.js';
import { GENESIS_HASH } from './migrations.js';
import { guard } from './store-error.js';

export type AuditFailure = 'hash mismatch' | 'broken link' | 'seq gap';

export type AuditVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBadSeq: number; reason: AuditFailure };

/**
 * Walks every event in seq order and re-computes the chain from the genesis hash.
 * - 'seq gap': a seq is missing (a deleted row); `firstBadSeq` is the missing seq. A deleted tail is
 *   found too, because SQLite's AUTOINCREMENT counter remembers the highest seq ever handed out.
 * - 'broken link': a row's prev_hash is not the stored hash of the row before it.
 * - 'hash mismatch': a row's stored hash is not the hash of its own fields (or its data is not the
 *   canonical JSON it was written as).
 * `count` is the number of rows in the log, whether the chain holds or not.
 */
export function verifyAudit(db: Database.Database, path: string): AuditVerdict {
  return guard(db, path, 'verifyAudit', () => {
    const walk = db.transaction((): AuditVerdict => {
      let count = 0;
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1;
      let bad: { seq: number; reason: AuditFailure } | undefined;

      const rows = db.prepare<[], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`).iterate();
      for (const row of rows) {
        count += 1;
        if (bad) continue;
        bad = checkRow(row, expectedSeq, prevHash);
        prevHash = row.hash;
        expectedSeq = row.seq + 1;
      }

      if (!bad) {
        const counter = db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get();
        if (counter && counter.seq >= expectedSeq) bad = { seq: expectedSeq, reason: 'seq gap' };
      }
      return bad ? { ok: false, count, firstBadSeq: bad.seq, reason: bad.reason } : { ok: true, count, head: prevHash };
    });
    return walk.deferred(); // one read snapshot, so appends from other processes cannot interleave
  });
}

function checkRow(row: EventRow, expectedSeq: number, prevHash: string): { seq: number; reason: AuditFailure } | undefined {
  if (row.seq !== expectedSeq) return { seq: expectedSeq, reason: 'seq gap' };
  if (row.prev_hash !== prevHash) return { seq: row.seq, reason: 'broken link' };
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    return { seq: row.seq, reason: 'hash mismatch' };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data) || canonicalJson(data) !== row.data) {
    return { seq: row.seq, reason: 'hash mismatch' };
  }
  const fields = {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    kind: row.kind,
    experimentId: row.experiment_id,
    data: data as Record<string, unknown>,
    prevHash: row.prev_hash,
  };
  return eventHash(fields) === row.hash ? undefined : { seq: row.seq, reason: 'hash mismatch' };
}
