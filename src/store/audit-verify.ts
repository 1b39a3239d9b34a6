import type { SqlDb } from './sql/sql-db.js';
import { canonicalJson } from '../core/canonical-json.js';
import { chainHead, EVENT_COLUMNS, eventHash, type EventRow } from './events.js';
import { GENESIS_HASH } from './migrations.js';
import { guard } from './store-error.js';

export type AuditFailure = 'hash mismatch' | 'broken link' | 'seq gap';

export type AuditVerdict =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBadSeq: number; reason: AuditFailure };

/**
 * Walks every event in seq order and re-computes the chain from the genesis hash.
 * - 'seq gap': a seq is missing (a deleted row); `firstBadSeq` is the missing seq. A deleted tail is
 *   found too, because the chain's head (SQLite's AUTOINCREMENT counter, PostgreSQL's events_head)
 *   remembers the highest seq ever handed out.
 * - 'broken link': a row's prev_hash is not the stored hash of the row before it.
 * - 'hash mismatch': a row's stored hash is not the hash of its own fields (or its data is not the
 *   canonical JSON it was written as).
 * `count` is the number of rows in the log, whether the chain holds or not.
 */
export function verifyAudit(db: SqlDb): AuditVerdict {
  const path = db.where;
  return guard(db, path, 'verifyAudit', () =>
    // One read snapshot, so appends from other processes cannot interleave with the walk.
    db.snapshot((): AuditVerdict => {
      let count = 0;
      let prevHash = GENESIS_HASH;
      let expectedSeq = 1;
      let bad: { seq: number; reason: AuditFailure } | undefined;
      // In pages, so a long log is never held in memory at once.
      for (let after = 0; ; ) {
        const rows = db.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ${PAGE}`, [after]);
        for (const row of rows) {
          count += 1;
          if (bad) continue;
          bad = checkRow(row, expectedSeq, prevHash);
          prevHash = row.hash;
          expectedSeq = row.seq + 1;
        }
        if (rows.length < PAGE) break;
        after = rows.at(-1)!.seq;
      }
      // A deleted tail: the head remembers a seq higher than any row left.
      if (!bad && chainHead(db).highest(db) >= expectedSeq) bad = { seq: expectedSeq, reason: 'seq gap' };
      return bad ? { ok: false, count, firstBadSeq: bad.seq, reason: bad.reason } : { ok: true, count, head: prevHash };
    }),
  );
}

const PAGE = 5000;

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
