import { createHash } from 'node:crypto';
import { placeholders, type SqlDb } from './sql/sql-db.js';
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

/**
 * Where the chain's head is kept, per database. The hash covers `seq`, so Faultline chooses it, and a
 * seq once handed out is never handed out again, even when its row is deleted: SQLite's
 * AUTOINCREMENT counter (`sqlite_sequence`) remembers it; on PostgreSQL the one-row `events_head`
 * table does, and locking that row (FOR UPDATE) is what keeps two replicas from forking the chain.
 */
interface ChainHead {
  /** The next seq and the hash it links to, read under the append's lock. */
  next(db: SqlDb): { seq: number; prevHash: string };
  /** Records the appended row as the head (PostgreSQL; SQLite's counter moves by itself). */
  moved(db: SqlDb, seq: number, hash: string): void;
  /** The highest seq ever handed out, for the audit's deleted-tail check. */
  highest(db: SqlDb): number;
}

const SQLITE_HEAD: ChainHead = {
  next(db) {
    const seq =
      db.get<{ n: number }>(
        `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                coalesce((SELECT max(seq) FROM events), 0)) + 1 AS n`,
      )?.n ?? 1;
    const prevHash = db.get<{ hash: string }>('SELECT hash FROM events ORDER BY seq DESC LIMIT 1')?.hash ?? GENESIS_HASH;
    return { seq, prevHash };
  },
  moved() {},
  highest: (db) => db.get<{ seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'events'")?.seq ?? 0,
};

const POSTGRES_HEAD: ChainHead = {
  next(db) {
    const head = db.get<{ seq: number; hash: string }>('SELECT seq, hash FROM events_head WHERE id = 1 FOR UPDATE');
    if (!head) throw new FaultlineError('store_error', `store append failed (${db.where}): the events_head row is missing`, { path: db.where });
    return { seq: head.seq + 1, prevHash: head.hash };
  },
  moved(db, seq, hash) {
    db.run('UPDATE events_head SET seq = ?, hash = ? WHERE id = 1', [seq, hash]);
  },
  highest: (db) => db.get<{ seq: number }>('SELECT seq FROM events_head WHERE id = 1')?.seq ?? 0,
};

export function chainHead(db: SqlDb): ChainHead {
  return db.dialect === 'postgres' ? POSTGRES_HEAD : SQLITE_HEAD;
}

export function createEventLog(db: SqlDb): EventLog {
  const path = db.where;
  const head = chainHead(db);
  const INSERT = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;

  // The append is one transaction: on SQLite IMMEDIATE (the write lock is taken before prev_hash is
  // read), on PostgreSQL the head row's lock; either way two writers cannot fork the chain.
  const append = (e: z.output<typeof NewEvent>): StoredEvent =>
    db.transaction(() => {
      const { seq, prevHash } = head.next(db);
      const dataText = canonicalJson(e.data);
      const data = JSON.parse(dataText) as Record<string, unknown>; // exactly what is stored and hashed
      const hash = eventHash({ seq, at: e.at, actor: e.actor, kind: e.kind, experimentId: e.experimentId, data, prevHash });
      db.run(INSERT, [seq, e.at, e.actor, e.kind, e.experimentId, dataText, prevHash, hash]);
      head.moved(db, seq, hash);
      return { seq, at: e.at, actor: e.actor, kind: e.kind, experimentId: e.experimentId, data, prevHash, hash };
    });

  return {
    append(entry) {
      return guard(db, path, 'append', () => {
        const parsed = NewEvent.safeParse(entry);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
          throw new FaultlineError('store_error', `store append failed (${path}): invalid event: ${issues.join('; ')}`, { path, issues });
        }
        return append(parsed.data);
      });
    },
    journal(experimentId) {
      return guard(db, path, 'journal', () => db.all<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE experiment_id = ? ORDER BY seq`, [experimentId]).map(rowToEvent));
    },
    events(filter = {}) {
      return guard(db, path, 'events', () => {
        if (filter.kinds?.length === 0) return [];
        const limit = sqlLimit(filter.limit, path, 'events');
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.afterSeq !== undefined) {
          where.push('seq > ?');
          params.push(filter.afterSeq);
        }
        if (filter.experimentId !== undefined) {
          where.push('experiment_id = ?');
          params.push(filter.experimentId);
        }
        if (filter.kinds !== undefined) {
          const kinds = [...new Set(filter.kinds)];
          where.push(`kind IN (${placeholders(kinds.length)})`);
          params.push(...kinds);
        }
        if (limit >= 0) params.push(limit);
        const sql = `SELECT ${EVENT_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq${limit >= 0 ? ' LIMIT ?' : ''}`;
        return db.all<EventRow>(sql, params).map(rowToEvent);
      });
    },
  };
}
