import type Database from 'better-sqlite3';
import { FaultlineError } from '../core/errors.js';

/** One schema step. Versions are applied in order, once each, each in its own IMMEDIATE transaction. */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

/** The first row's prev_hash: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

/** A table of latest snapshots with the columns and indexes of `experiments` (version 2). */
function snapshotTable(name: 'gamedays' | 'schedules'): string {
  return `
    CREATE TABLE ${name} (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      state TEXT NOT NULL,
      updated_at INTEGER NOT NULL,
      data TEXT NOT NULL CHECK (json_valid(data))
    ) STRICT;
    CREATE INDEX ${name}_updated ON ${name} (updated_at DESC, id DESC);
    CREATE INDEX ${name}_state_updated ON ${name} (state, updated_at DESC, id DESC);
  `;
}

/** Append only. Never edit a migration that has shipped; add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events: experiment journal and hash-chained audit log',
    up(db) {
      db.exec(`
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          at INTEGER NOT NULL,
          actor TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (length(kind) > 0),
          experiment_id TEXT,
          data TEXT NOT NULL CHECK (json_valid(data)),
          prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
          hash TEXT NOT NULL CHECK (length(hash) = 64)
        ) STRICT;
        CREATE INDEX events_experiment_seq ON events (experiment_id, seq);
        CREATE INDEX events_kind ON events (kind);
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN
          SELECT RAISE(ABORT, 'events is append-only: UPDATE refused');
        END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN
          SELECT RAISE(ABORT, 'events is append-only: DELETE refused');
        END;
      `);
    },
  },
  {
    version: 2,
    name: 'experiments: latest snapshot of each experiment',
    up(db) {
      db.exec(`
        CREATE TABLE experiments (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          state TEXT NOT NULL,
          updated_at INTEGER NOT NULL,
          data TEXT NOT NULL CHECK (json_valid(data))
        ) STRICT;
        CREATE INDEX experiments_updated ON experiments (updated_at DESC, id DESC);
        CREATE INDEX experiments_state_updated ON experiments (state, updated_at DESC, id DESC);
      `);
    },
  },
  {
    version: 3,
    name: 'settings: key/value',
    up(db) {
      db.exec(`
        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 4,
    name: 'gamedays: latest snapshot of each game day',
    up(db) {
      db.exec(snapshotTable('gamedays'));
    },
  },
  {
    version: 5,
    name: 'schedules and their runs (one row per schedule and cron slot: a slot never fires twice)',
    up(db) {
      db.exec(snapshotTable('schedules'));
      db.exec(`
        CREATE TABLE schedule_runs (
          schedule_id TEXT NOT NULL,
          slot INTEGER NOT NULL,
          at INTEGER NOT NULL,
          outcome TEXT NOT NULL CHECK (outcome IN ('fired', 'skipped', 'failed')),
          data TEXT NOT NULL CHECK (json_valid(data)),
          PRIMARY KEY (schedule_id, slot)
        ) STRICT;
        CREATE INDEX schedule_runs_at ON schedule_runs (schedule_id, at DESC);
      `);
    },
  },
  {
    version: 6,
    name: 'seen_requests: chat requests already handled, kept for their replay window so a restart forgets none',
    up(db) {
      db.exec(`
        CREATE TABLE seen_requests (
          key TEXT PRIMARY KEY CHECK (length(key) > 0),
          seen_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX seen_requests_expires ON seen_requests (expires_at);
      `);
    },
  },
  {
    version: 7,
    name: 'incidents: what Faultline learned of each PagerDuty incident (webhooks, polls, lookups), so the start gate survives a restart',
    up(db) {
      db.exec(`
        CREATE TABLE incidents (
          id TEXT PRIMARY KEY,
          service_id TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
          urgency TEXT NOT NULL CHECK (urgency IN ('high', 'low')),
          as_of INTEGER NOT NULL,
          learned_at INTEGER NOT NULL,
          source TEXT NOT NULL,
          data TEXT NOT NULL CHECK (json_valid(data))
        ) STRICT;
        CREATE INDEX incidents_service_status ON incidents (service_id, status);
        CREATE INDEX incidents_status_learned ON incidents (status, learned_at);
      `);
    },
  },
  {
    version: 8,
    name: 'leader_lease and command_handoffs: which replica leads (its epoch fences every effect) and commands a follower hands to it',
    up(db) {
      // One process per SQLite file needs neither, but the schema is the same in both dialects.
      db.exec(`
        CREATE TABLE leader_lease (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          holder TEXT NOT NULL,
          epoch INTEGER NOT NULL,
          acquired_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE command_handoffs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          created_at INTEGER NOT NULL,
          urgent INTEGER NOT NULL CHECK (urgent IN (0, 1)),
          payload TEXT NOT NULL CHECK (json_valid(payload)),
          state TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'abandoned')),
          taken_by TEXT,
          taken_epoch INTEGER,
          reply TEXT CHECK (reply IS NULL OR json_valid(reply))
        ) STRICT;
        CREATE INDEX command_handoffs_pending ON command_handoffs (state, urgent DESC, id);
      `);
    },
  },
];

export interface MigrationResult {
  /** Schema version after the run. */
  version: number;
  /** Versions applied by this run (empty when the file was already up to date). */
  applied: number[];
}

/**
 * Brings the schema up to the newest known version. Safe to run from several processes at once:
 * each step re-checks under an IMMEDIATE transaction. A database newer than the code is refused.
 */
export function runMigrations(
  db: Database.Database,
  path: string,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => number = Date.now,
): MigrationResult {
  checkOrder(migrations, path);
  const latest = migrations.at(-1)?.version ?? 0;
  // IMMEDIATE, so a process racing to create the table waits (busy_timeout) instead of failing on a stale read.
  const current = db
    .transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
      return currentVersion(db);
    })
    .immediate();
  if (current > latest) throw newerSchema(path, current, latest);

  const isApplied = db.prepare<[number], { one: number }>('SELECT 1 AS one FROM schema_migrations WHERE version = ?');
  const record = db.prepare<[number, number]>('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  const onRecord = new Set(db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
  const applied: number[] = [];
  for (const migration of migrations) {
    // Every version not on record is applied, also one below `current`: a number left free in the
    // list (a gap) may be filled by a later release, and databases that already went past it still get it.
    if (onRecord.has(migration.version)) continue;
    const step = db.transaction(() => {
      if (isApplied.get(migration.version)) return false; // another process got there first
      migration.up(db);
      record.run(migration.version, now());
      return true;
    });
    if (step.immediate()) applied.push(migration.version);
  }
  return { version: Math.max(current, latest), applied };
}

/** The refusal to open a database whose schema is newer than this Faultline (either dialect). */
export function newerSchema(path: string, current: number, latest: number): FaultlineError {
  return new FaultlineError('store_error', `database ${path} has schema version ${current}, newer than this Faultline knows (${latest}); upgrade Faultline to open it`, {
    path,
    dbVersion: current,
    codeVersion: latest,
  });
}

/** Highest applied version, 0 for a fresh file. */
export function currentVersion(db: Database.Database): number {
  const row = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations').get();
  return row?.v ?? 0;
}

/** Versions are positive integers in strictly increasing order; a number may be left out (a gap). */
function checkOrder(migrations: readonly Migration[], path: string): void {
  migrations.forEach((m, i) => {
    const previous = i === 0 ? 0 : migrations[i - 1]!.version;
    if (!Number.isInteger(m.version) || m.version <= previous) {
      throw new FaultlineError('store_error', `migration list for ${path} is out of order: entry ${i} has version ${m.version}, expected a whole number above ${previous}`, {
        path,
      });
    }
  });
}
