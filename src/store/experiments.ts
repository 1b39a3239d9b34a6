import { placeholders, type SqlDb } from './sql/sql-db.js';
import { z } from 'zod';
import { FaultlineError } from '../core/errors.js';
import { guard, sqlLimit } from './store-error.js';

/** The latest snapshot of one experiment. `data` is anything JSON-serialisable. */
export const ExperimentSnapshot = z.object({
  id: z.string().min(1),
  name: z.string(),
  state: z.string().min(1),
  updatedAt: z.number().int(),
  data: z.unknown(),
});
export type ExperimentSnapshot = z.infer<typeof ExperimentSnapshot>;

export interface ExperimentFilter {
  /** Only these states; an empty array matches nothing. */
  states?: string[];
  limit?: number;
}

export interface ExperimentSnapshots {
  /** Insert or replace the snapshot with this id. */
  save(rec: ExperimentSnapshot): void;
  get(id: string): ExperimentSnapshot | undefined;
  /** Newest `updatedAt` first (ties: higher id first). */
  list(filter?: ExperimentFilter): ExperimentSnapshot[];
  /** How many experiments are in each state (for metrics), without reading their data. */
  countByState(): Record<string, number>;
}

interface ExperimentRow {
  id: string;
  name: string;
  state: string;
  updated_at: number;
  data: string;
}

const COLUMNS = 'id, name, state, updated_at, data';

function rowToRecord(row: ExperimentRow): ExperimentSnapshot {
  return { id: row.id, name: row.name, state: row.state, updatedAt: row.updated_at, data: JSON.parse(row.data) as unknown };
}

/** The tables that hold latest snapshots (same columns each): experiments, game days, schedules. */
export type SnapshotTable = 'experiments' | 'gamedays' | 'schedules';

export function createExperimentSnapshots(db: SqlDb, table: SnapshotTable = 'experiments'): ExperimentSnapshots {
  const path = db.where;
  const UPSERT = `INSERT INTO ${table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, state = excluded.state,
       updated_at = excluded.updated_at, data = excluded.data`;
  const ORDER = 'ORDER BY updated_at DESC, id DESC';

  return {
    countByState() {
      return guard(db, path, `${table}.countByState`, () =>
        Object.fromEntries(db.all<{ state: string; n: number }>(`SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`).map((r) => [r.state, r.n])),
      );
    },
    save(rec) {
      guard(db, path, `${table}.save`, () => {
        const parsed = ExperimentSnapshot.safeParse(rec);
        if (!parsed.success) {
          const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
          throw new FaultlineError('store_error', `store ${table}.save failed (${path}): invalid record: ${issues.join('; ')}`, {
            path,
            issues,
          });
        }
        const r = parsed.data;
        const data = JSON.stringify(r.data) ?? 'null';
        db.run(UPSERT, [r.id, r.name, r.state, r.updatedAt, data]);
      });
    },
    get(id) {
      return guard(db, path, `${table}.get`, () => {
        const row = db.get<ExperimentRow>(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`, [id]);
        return row ? rowToRecord(row) : undefined;
      });
    },
    list(filter = {}) {
      return guard(db, path, `${table}.list`, () => {
        const limit = sqlLimit(filter.limit, path, `${table}.list`);
        // No LIMIT clause for "no limit": SQLite and PostgreSQL spell "all rows" differently.
        const limited = limit >= 0 ? ' LIMIT ?' : '';
        const tail = limit >= 0 ? [limit] : [];
        if (filter.states === undefined) return db.all<ExperimentRow>(`SELECT ${COLUMNS} FROM ${table} ${ORDER}${limited}`, tail).map(rowToRecord);
        if (filter.states.length === 0) return [];
        const states = [...new Set(filter.states)];
        return db
          .all<ExperimentRow>(`SELECT ${COLUMNS} FROM ${table} WHERE state IN (${placeholders(states.length)}) ${ORDER}${limited}`, [...states, ...tail])
          .map(rowToRecord);
      });
    },
  };
}
