import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { FaultlineError } from '../core/errors.js';
import { canonicalJson } from '../core/canonical-json.js';
import { GENESIS_HASH } from './migrations.js';
import { guard, sqlLimit } from './store-error.js';

/** One record to append to the journal / audit log. */
export const NewEvent = z.object({
  at: z.number().int(),
  actor: z.string(),
  kind: z.string().min(1),
  experimentId: z.string().nullable().default(null),
  data: z.record(z.string(), z.unknown()).default({}),
});
export type NewEvent = z.input<typeof NewEvent>;

export interface StoredEvent {
  seq: number;
  at: number;
  actor: string;
  kind: string;
  experimentId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface EventFilter {
  /** Only these kinds; an empty array matches nothing. */
  kinds?: string[];
  /** Only events with seq strictly greater than this. */
  afterSeq?: number;
  /** At most this many (the oldest first). */
  limit?: number;
  experimentId?: string;
}

/** The fields a row's hash covers, exactly as stored. */
export interface HashedFields {
  seq: number;
  at: number;
  actor: string;
  kind: string;
  experimentId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
}

/**
 * hash = sha256 hex of canonical JSON of
 * `{ actor, at, data, experiment_id, kind, prev_hash, seq }` (column names, keys sorted).
 * Anyone with the database and a JSON library can recompute it.
 */
export function eventHash(f: HashedFields): string {
  const text = canonicalJson({
    seq: f.seq,
    at: f.at,
    actor: f.actor,
    kind: f.kind,
    experiment_id: f.experimentId,
    data: f.data,
    prev_hash: f.prevHash,
  });
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A row of the events table as better-sqlite3 returns it. */
export interface EventRow {
  seq: number;
  at: number;
  actor: string;
  kind: string;
  experiment_id: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export const EVENT_COLUMNS = 'seq, at, actor, kind, experiment_id, data, prev_hash, hash';

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    kind: row.kind,
    experimentId: row.experiment_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface EventLog {
  append(entry: NewEvent): StoredEvent;
  journal(experimentId: string): StoredEvent[];
  events(filter?: EventFilter): StoredEvent[];
}

export function createEventLog(db: Database.Database, path: string): EventLog {
  // seq is chosen here, not by SQLite, because the hash covers it. AUTOINCREMENT's
  // sqlite_sequence remembers the highest seq ever used, so a deleted tail is never reused.
  const nextSeq = db.prepare<[], { n: number }>(
    `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                coalesce((SELECT max(seq) FROM events), 0)) + 1 AS n`,
  );
  const lastHash = db.prepare<[], { hash: string }>('SELECT hash FROM events ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare<[EventRow]>(
    `INSERT INTO events (${EVENT_COLUMNS})
     VALUES (@seq, @at, @actor, @kind, @experiment_id, @data, @prev_hash, @hash)`,
  );
  const journalStmt = db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE experiment_id = ? ORDER BY seq`);
  const queries = new Map<string, Database.Statement<Record<string, unknown>, EventRow>>();

  // IMMEDIATE: the write lock is taken before prev_hash is read, so two processes cannot fork the chain.
  const appendTx = db.transaction((e: z.output<typeof NewEvent>): StoredEvent => {
    const seq = nextSeq.get()?.n ?? 1;
    const prevHash = lastHash.get()?.hash ?? GENESIS_HASH;
    const dataText = canonicalJson(e.data);
    const data = JSON.parse(dataText) as Record<string, unknown>; // exactly what is stored and hashed
    const hash = eventHash({ seq, at: e.at, actor: e.actor, kind: e.kind, experimentId: e.experimentId, data, prevHash });
    insert.run({ seq, at: e.at, actor: e.actor, kind: e.kind, experiment_id: e.experimentId, data: dataText, prev_hash: prevHash, hash });
    return { seq, at: e.at, actor: e.actor, kind: e.kind, experimentId: e.experimentId, data, prevHash, hash };
  });

  function query(filter: EventFilter) {
    const where: string[] = [];
    if (filter.afterSeq !== undefined) where.push('seq > @afterSeq');
    if (filter.experimentId !== undefined) where.push('experiment_id = @experimentId');
    if (filter.kinds !== undefined) where.push('kind IN (SELECT value FROM json_each(@kinds))');
    const key = where.join(' AND ');
    let stmt = queries.get(key);
    if (!stmt) {
      stmt = db.prepare<Record<string, unknown>, EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events ${where.length ? `WHERE ${key}` : ''} ORDER BY seq LIMIT @limit`,
      );
      queries.set(key, stmt);
    }
    return stmt;
  }

  return {
    append(entry) {
      return guard(db, path, 'append', () => {
        const parsed = NewEvent.safeParse(entry);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
          throw new FaultlineError('store_error', `store append failed (${path}): invalid event: ${issues.join('; ')}`, { path, issues });
        }
        return appendTx.immediate(parsed.data);
      });
    },
    journal(experimentId) {
      return guard(db, path, 'journal', () => journalStmt.all(experimentId).map(rowToEvent));
    },
    events(filter = {}) {
      return guard(db, path, 'events', () => {
        if (filter.kinds?.length === 0) return [];
        const params: Record<string, unknown> = { limit: sqlLimit(filter.limit, path, 'events') };
        if (filter.afterSeq !== undefined) params.afterSeq = filter.afterSeq;
        if (filter.experimentId !== undefined) params.experimentId = filter.experimentId;
        if (filter.kinds !== undefined) params.kinds = JSON.stringify(filter.kinds);
        return query(filter).all(params).map(rowToEvent);
      });
    },
  };
}
