import type { SqlDb } from './sql/sql-db.js';
import { z } from 'zod';
import { guard, sqlLimit } from './store-error.js';

/** One cron slot of one schedule: what happened when it came due. */
export const ScheduleRun = z.object({
  scheduleId: z.string().min(1),
  /** The minute the cron expression named (ms since epoch), not when the bot noticed it. */
  slot: z.number().int(),
  at: z.number().int(),
  outcome: z.enum(['fired', 'skipped', 'failed']),
  data: z.record(z.string(), z.unknown()),
});
export type ScheduleRun = z.infer<typeof ScheduleRun>;

export interface ScheduleRuns {
  /** Records the slot once; returns false (and changes nothing) when the slot is already on record. */
  claim(run: ScheduleRun): boolean;
  /**
   * Replaces the outcome and data of a slot already claimed (what came of acting on it, e.g. a
   * proposal that was refused). Returns false, changing nothing, when the slot was never claimed.
   */
  settle(run: ScheduleRun): boolean;
  /** Newest slot first. */
  list(scheduleId: string, limit?: number): ScheduleRun[];
  /** The newest recorded slot of a schedule, if any. */
  lastSlot(scheduleId: string): number | undefined;
}

interface Row {
  schedule_id: string;
  slot: number;
  at: number;
  outcome: ScheduleRun['outcome'];
  data: string;
}

export function createScheduleRuns(db: SqlDb): ScheduleRuns {
  const path = db.where;
  // ON CONFLICT DO NOTHING (not SQLite's INSERT OR IGNORE): both databases claim a slot once this way.
  const INSERT = 'INSERT INTO schedule_runs (schedule_id, slot, at, outcome, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (schedule_id, slot) DO NOTHING';
  const UPDATE = 'UPDATE schedule_runs SET at = ?, outcome = ?, data = ? WHERE schedule_id = ? AND slot = ?';
  return {
    claim(run) {
      return guard(db, path, 'schedule_runs.claim', () => {
        const r = ScheduleRun.parse(run);
        return db.run(INSERT, [r.scheduleId, r.slot, r.at, r.outcome, JSON.stringify(r.data)]).changes === 1;
      });
    },
    settle(run) {
      return guard(db, path, 'schedule_runs.settle', () => {
        const r = ScheduleRun.parse(run);
        return db.run(UPDATE, [r.at, r.outcome, JSON.stringify(r.data), r.scheduleId, r.slot]).changes === 1;
      });
    },
    list(scheduleId, limit) {
      return guard(db, path, 'schedule_runs.list', () => {
        const n = sqlLimit(limit, path, 'schedule_runs.list');
        const sql = `SELECT schedule_id, slot, at, outcome, data FROM schedule_runs WHERE schedule_id = ? ORDER BY slot DESC${n >= 0 ? ' LIMIT ?' : ''}`;
        return db.all<Row>(sql, n >= 0 ? [scheduleId, n] : [scheduleId]).map((row) => ({
          scheduleId: row.schedule_id,
          slot: row.slot,
          at: row.at,
          outcome: row.outcome,
          data: JSON.parse(row.data) as Record<string, unknown>,
        }));
      });
    },
    lastSlot(scheduleId) {
      return guard(db, path, 'schedule_runs.lastSlot', () => db.get<{ slot: number | null }>('SELECT max(slot) AS slot FROM schedule_runs WHERE schedule_id = ?', [scheduleId])?.slot ?? undefined);
    },
  };
}
