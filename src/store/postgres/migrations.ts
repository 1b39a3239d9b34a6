import { FaultlineError } from '../../core/errors.js';
import { GENESIS_HASH, MIGRATIONS, newerSchema } from '../migrations.js';
import type { SqlDb } from '../sql/sql-db.js';

/**
 * The store's schema in PostgreSQL's dialect, version for version the same as SQLite's
 * (`../migrations.ts`): a database of either kind at version N has the same tables and rules.
 * JSON stays TEXT, because the audit hash covers the exact canonical text that was written.
 */
export const POSTGRES_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE events (
        seq BIGINT PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (length(kind) > 0),
        experiment_id TEXT,
        data TEXT NOT NULL CHECK (data::jsonb IS NOT NULL),
        prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
        hash TEXT NOT NULL CHECK (length(hash) = 64)
      );
      CREATE INDEX events_experiment_seq ON events (experiment_id, seq);
      CREATE INDEX events_kind ON events (kind);
      -- The chain's head: the highest seq ever handed out and its hash; locked by every append.
      CREATE TABLE events_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq BIGINT NOT NULL, hash TEXT NOT NULL);
      INSERT INTO events_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}');
      CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'events is append-only: % refused', TG_OP;
      END $$;
      CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
      CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only();
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
    `,
  },
  { version: 2, sql: snapshotTable('experiments') },
  { version: 3, sql: 'CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);' },
  { version: 4, sql: snapshotTable('gamedays') },
  {
    version: 5,
    sql: `${snapshotTable('schedules')}
      CREATE TABLE schedule_runs (
        schedule_id TEXT NOT NULL,
        slot BIGINT NOT NULL,
        at BIGINT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('fired', 'skipped', 'failed')),
        data TEXT NOT NULL CHECK (data::jsonb IS NOT NULL),
        PRIMARY KEY (schedule_id, slot)
      );
      CREATE INDEX schedule_runs_at ON schedule_runs (schedule_id, at DESC);`,
  },
  {
    version: 6,
    sql: `
      CREATE TABLE seen_requests (key TEXT PRIMARY KEY CHECK (length(key) > 0), seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
      CREATE INDEX seen_requests_expires ON seen_requests (expires_at);`,
  },
  {
    version: 7,
    sql: `
      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        service_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('triggered', 'acknowledged', 'resolved')),
        urgency TEXT NOT NULL CHECK (urgency IN ('high', 'low')),
        as_of BIGINT NOT NULL,
        learned_at BIGINT NOT NULL,
        source TEXT NOT NULL,
        data TEXT NOT NULL CHECK (data::jsonb IS NOT NULL)
      );
      CREATE INDEX incidents_service_status ON incidents (service_id, status);
      CREATE INDEX incidents_status_learned ON incidents (status, learned_at);`,
  },
  {
    version: 8,
    sql: `
      -- Expiry is the database's clock: replicas' clocks may disagree, the server's is the one they share.
      CREATE TABLE leader_lease (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        holder TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        acquired_at BIGINT NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE command_handoffs (
        id BIGSERIAL PRIMARY KEY,
        created_at BIGINT NOT NULL,
        urgent BOOLEAN NOT NULL,
        payload TEXT NOT NULL CHECK (payload::jsonb IS NOT NULL),
        state TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done', 'abandoned')),
        taken_by TEXT,
        taken_epoch BIGINT,
        reply TEXT CHECK (reply IS NULL OR reply::jsonb IS NOT NULL)
      );
      CREATE INDEX command_handoffs_pending ON command_handoffs (state, urgent DESC, id);`,
  },
];

function snapshotTable(name: string): string {
  return `
    CREATE TABLE ${name} (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      state TEXT NOT NULL,
      updated_at BIGINT NOT NULL,
      data TEXT NOT NULL CHECK (data::jsonb IS NOT NULL)
    );
    CREATE INDEX ${name}_updated ON ${name} (updated_at DESC, id DESC);
    CREATE INDEX ${name}_state_updated ON ${name} (state, updated_at DESC, id DESC);`;
}

/** Any constant works; it only has to be the same for every Faultline on the database. */
const MIGRATION_LOCK = 0x6661756c; // "faul"

/**
 * Brings a PostgreSQL database up to the newest version. Replicas starting together take turns on a
 * transaction-scoped advisory lock; each applies what is not on record yet. A database newer than
 * this Faultline is refused, as on SQLite.
 */
export function runPostgresMigrations(db: SqlDb, now: () => number = Date.now): { version: number; applied: number[] } {
  const sqliteLatest = MIGRATIONS.at(-1)?.version ?? 0;
  const latest = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;
  // Both dialects must describe the same versions: a release that adds one to SQLite only is a bug.
  if (latest !== sqliteLatest) throw new FaultlineError('store_error', `PostgreSQL migrations end at ${latest}, SQLite's at ${sqliteLatest}`, { path: db.where });
  return db.transaction(() => {
    db.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const onRecord = new Set(db.all<{ version: number }>('SELECT version FROM schema_migrations').map((r) => r.version));
    const current = Math.max(0, ...onRecord);
    if (current > latest) throw newerSchema(db.where, current, latest);
    const applied: number[] = [];
    for (const m of POSTGRES_MIGRATIONS) {
      if (onRecord.has(m.version)) continue;
      db.exec(m.sql);
      db.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [m.version, now()]);
      applied.push(m.version);
    }
    return { version: Math.max(current, latest), applied };
  });
}
