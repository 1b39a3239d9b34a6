import type Database from 'better-sqlite3';
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

export function createExperimentSnapshots(db: Database.Database, path: string, table: SnapshotTable = 'experiments'): ExperimentSnapshots {
  const upsert = db.prepare<[ExperimentRow]>(
    `INSERT INTO ${table} (${COLUMNS}) VALUES (@id, @name, @state, @updated_at, @data)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, state = excluded.state,
       updated_at = excluded.updated_at, data = excluded.data`,
  );
  const getStmt = db.prepare<[string], ExperimentRow>(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`);
  const listAll = db.prepare<{ limit: number }, ExperimentRow>(
    `SELECT ${COLUMNS} FROM ${table} ORDER BY updated_at DESC, id DESC LIMIT @limit`,
  );
  const listStates = db.prepare<{ states: string; limit: number }, ExperimentRow>(
    `SELECT ${COLUMNS} FROM ${table} WHERE state IN (SELECT value FROM json_each(@states))
     ORDER BY updated_at DESC, id DESC LIMIT @limit`,
  );

  const counts = db.prepare<[], { state: string; n: number }>(`SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`);

  return {
    countByState() {
      return guard(db, path, `${table}.countByState`, () => Object.fromEntries(counts.all().map((r) => [r.state, r.n])));
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
        upsert.run({ id: r.id, name: r.name, state: r.state, updated_at: r.updatedAt, data });
      });
    },
    get(id) {
      return guard(db, path, `${table}.get`, () => {
        const row = getStmt.get(id);
        return row ? rowToRecord(row) : undefined;
      });
    },
    list(filter = {}) {
      return guard(db, path, `${table}.list`, () => {
        const limit = sqlLimit(filter.limit, path, `${table}.list`);
        if (filter.states === undefined) return listAll.all({ limit }).map(rowToRecord);
        if (filter.states.length === 0) return [];
        return listStates.all({ states: JSON.stringify(filter.states), limit }).map(rowToRecord);
      });
    },
  };
}
