import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { FaultlineError, wrapError } from '../core/errors.js';
import { verifyAudit, type AuditVerdict } from './audit-verify.js';
import { createEventLog, type EventFilter, type NewEvent, type StoredEvent } from './events.js';
import { createExperimentSnapshots, type ExperimentSnapshots } from './experiments.js';
import { createIncidentRecords, type IncidentRecords } from './incidents.js';
import { MIGRATIONS, runMigrations } from './migrations.js';
import { createScheduleRuns, type ScheduleRuns } from './schedule-runs.js';
import { createSeenRequests, type SeenRequests } from './seen-requests.js';
import { createSettings, type Settings } from './settings.js';
import { createLeaderLeases, type LeaderLeases } from './leases.js';
import { assertOpen } from './store-error.js';
import { sqliteDb } from './sql/sqlite-db.js';
import { postgresDb } from './sql/postgres-db.js';
import type { SqlDb } from './sql/sql-db.js';
import { runPostgresMigrations } from './postgres/migrations.js';

export const StoreOptions = z.union([
  z.object({
    /** SQLite file, e.g. data/faultline.db (parent folders are created), or ':memory:'. */
    path: z.string().min(1),
  }),
  z.object({
    /** A PostgreSQL database, postgres://user:password@host:5432/db. */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
    /** How long one statement may take before it fails (default 30 s). */
    queryTimeoutMs: z.number().int().positive().optional(),
  }),
]);
export type StoreOptions = z.infer<typeof StoreOptions>;

export interface Store {
  readonly path: string;
  close(): void;
  /** Append one record to the hash-chained log; returns the stored row. Synchronous, in a transaction. */
  append(entry: NewEvent): StoredEvent;
  /** All events of one experiment in seq order (the experiment journal). */
  journal(experimentId: string): StoredEvent[];
  /** Events across experiments, optionally filtered by kind(s), seq order, with optional afterSeq/limit. */
  events(filter?: EventFilter): StoredEvent[];
  experiments: ExperimentSnapshots;
  /** Game days, stored like experiments: id, name, state and the whole record as JSON. */
  gamedays: ExperimentSnapshots;
  schedules: ExperimentSnapshots;
  /** One row per schedule and cron slot. */
  scheduleRuns: ScheduleRuns;
  /** Chat requests already handled, for their replay window (survives restarts). */
  seenRequests: SeenRequests;
  settings: Settings;
  /** PagerDuty incidents as last learned (open or resolved), for the start gate across restarts. */
  incidents: IncidentRecords;
  /** Run several writes atomically (an IMMEDIATE transaction; nested calls become savepoints). `fn` must be synchronous. */
  transaction<T>(fn: () => T): T;
  /** Re-computes the chain. */
  verifyAudit(): AuditVerdict;
  /** The leader lease of replicas on one database (PostgreSQL). */
  leases: LeaderLeases;
  /**
   * Every append first runs `check` (null: none): a replica that leads fences its journal with its
   * lease, so one that lost the lease records, and therefore does, nothing more.
   */
  fenceWrites(check: (() => void) | null): void;
}

/**
 * Opens the store. A `path` is SQLite (created if needed: WAL, busy_timeout=5000, foreign keys on);
 * a `url` is PostgreSQL. Either way the migrations are applied first.
 */
export function openStore(opts: StoreOptions): Store {
  const parsed = StoreOptions.safeParse(opts);
  if (!parsed.success) {
    throw new FaultlineError('store_error', `invalid store options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if ('url' in parsed.data) return openPostgresStore(parsed.data.url, parsed.data.queryTimeoutMs);
  const { path } = parsed.data;
  const inMemory = path === ':memory:';

  let db: Database.Database | undefined;
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    applyPragmas(db);
    runMigrations(db, path, MIGRATIONS);
  } catch (err) {
    db?.close();
    throw wrapError('store_error', `cannot open store ${path}`, err, { path });
  }
  return buildStore(sqliteDb(db, path));
}

function openPostgresStore(url: string, queryTimeoutMs: number | undefined): Store {
  const db = postgresDb(url, { ...(queryTimeoutMs ? { queryTimeoutMs } : {}) });
  try {
    runPostgresMigrations(db);
  } catch (err) {
    db.close();
    throw wrapError('store_error', `cannot open store ${db.where}`, err, { path: db.where });
  }
  return buildStore(db);
}

/** The connection settings every store connection runs with (busy_timeout first, so WAL set-up can wait). */
export function applyPragmas(db: Database.Database): void {
  db.pragma('busy_timeout = 5000');
  setWalMode(db);
  db.pragma('foreign_keys = ON');
}

/**
 * Switching a file to WAL needs an exclusive lock and SQLite does not call the busy handler for it,
 * so several processes opening a fresh file at once can get SQLITE_BUSY here: retry for up to 5 s.
 */
function setWalMode(db: Database.Database, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode === 'wal' || db.memory) return;
      if (Date.now() >= deadline) throw new Error(`journal_mode is still ${String(mode)}, could not switch to WAL`);
    } catch (err) {
      const busy = err instanceof Database.SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(err.code);
      if (!busy || Date.now() >= deadline) throw err;
    }
    Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 20));
  }
}

function buildStore(sql: SqlDb): Store {
  const path = sql.where;
  const log = createEventLog(sql);
  const experiments = createExperimentSnapshots(sql);
  const gamedays = createExperimentSnapshots(sql, 'gamedays');
  const schedules = createExperimentSnapshots(sql, 'schedules');
  const scheduleRuns = createScheduleRuns(sql);
  const seenRequests = createSeenRequests(sql);
  const settings = createSettings(sql);
  const incidents = createIncidentRecords(sql);
  const leases = createLeaderLeases(sql);
  let writeFence: (() => void) | null = null;

  return {
    path,
    close() {
      if (sql.open) sql.close();
    },
    append: (entry) => {
      writeFence?.();
      return log.append(entry);
    },
    journal: (experimentId) => log.journal(experimentId),
    events: (filter) => log.events(filter),
    experiments,
    gamedays,
    schedules,
    scheduleRuns,
    seenRequests,
    settings,
    incidents,
    transaction<T>(fn: () => T): T {
      assertOpen(sql, path, 'transaction');
      const run = () => {
        const result = fn();
        if (typeof result === 'object' && result !== null && typeof (result as { then?: unknown }).then === 'function') {
          (result as unknown as PromiseLike<unknown>).then(undefined, () => undefined); // its rejection is moot now
          throw new FaultlineError('store_error', `store transaction failed (${path}): the function must be synchronous (it returned a promise)`, {
            path,
          });
        }
        return result;
      };
      try {
        return sql.transaction(run);
      } catch (err) {
        // The caller's own errors pass through untouched; only the database's are ours to wrap.
        if (err instanceof Database.SqliteError) throw wrapError('store_error', `store transaction failed (${path})`, err, { path });
        throw err;
      }
    },
    verifyAudit: () => verifyAudit(sql),
    leases,
    fenceWrites(check) {
      writeFence = check;
    },
  };
}
