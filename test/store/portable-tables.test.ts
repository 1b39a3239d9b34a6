import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExperimentSnapshots } from '../../src/store/experiments.js';
import { createIncidentRecords } from '../../src/store/incidents.js';
import { MIGRATIONS, runMigrations } from '../../src/store/migrations.js';
import { createScheduleRuns } from '../../src/store/schedule-runs.js';
import { createSeenRequests } from '../../src/store/seen-requests.js';
import { createSettings } from '../../src/store/settings.js';
import { postgresDb } from '../../src/store/sql/postgres-db.js';
import type { SqlDb } from '../../src/store/sql/sql-db.js';
import { sqliteDb } from '../../src/store/sql/sqlite-db.js';
import { createDatabase, usePostgres, type PostgresServer } from '../support/postgres.js';

/*
 * The tables already on SqlDb, with the same statements on both databases. On SQLite the schema is
 * the real migrations'; on PostgreSQL it is written here until the store's migrations have their
 * PostgreSQL dialect (the next step), in the shape they will have.
 */
const POSTGRES_TABLES = `
  CREATE TABLE experiments (id TEXT PRIMARY KEY, name TEXT NOT NULL, state TEXT NOT NULL, updated_at BIGINT NOT NULL, data TEXT NOT NULL);
  CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE seen_requests (key TEXT PRIMARY KEY CHECK (length(key) > 0), seen_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
  CREATE TABLE schedule_runs (schedule_id TEXT NOT NULL, slot BIGINT NOT NULL, at BIGINT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('fired', 'skipped', 'failed')), data TEXT NOT NULL, PRIMARY KEY (schedule_id, slot));
  CREATE TABLE incidents (id TEXT PRIMARY KEY, service_id TEXT NOT NULL, status TEXT NOT NULL, urgency TEXT NOT NULL,
    as_of BIGINT NOT NULL, learned_at BIGINT NOT NULL, source TEXT NOT NULL, data TEXT NOT NULL);
`;

let pg: PostgresServer;
let url: string;
beforeAll(async () => {
  pg = await usePostgres();
  url = createDatabase(pg, 'portable').url;
});
afterAll(async () => pg?.stop());

const both: Array<[string, () => SqlDb]> = [
  [
    'SQLite',
    () => {
      const raw = new Database(':memory:');
      runMigrations(raw, ':memory:', MIGRATIONS);
      return sqliteDb(raw, ':memory:');
    },
  ],
  [
    'PostgreSQL',
    () => {
      const db = postgresDb(url);
      db.exec(POSTGRES_TABLES);
      return db;
    },
  ],
];

describe.each(both)('the portable tables on %s', (_name, open) => {
  let db: SqlDb;
  beforeAll(() => {
    db = open();
  });
  afterAll(() => db?.close());

  it('snapshots: upsert, newest first, filtered by state, counted', () => {
    const t = createExperimentSnapshots(db);
    t.save({ id: 'exp-1', name: 'a', state: 'proposed', updatedAt: 1, data: { n: 1 } });
    t.save({ id: 'exp-2', name: 'b', state: 'running', updatedAt: 2, data: { n: 2 } });
    t.save({ id: 'exp-1', name: 'a', state: 'completed', updatedAt: 3, data: { n: 3 } });
    expect(t.get('exp-1')).toEqual({ id: 'exp-1', name: 'a', state: 'completed', updatedAt: 3, data: { n: 3 } });
    expect(t.list().map((r) => r.id)).toEqual(['exp-1', 'exp-2']);
    expect(t.list({ limit: 1 }).map((r) => r.id)).toEqual(['exp-1']);
    expect(t.list({ states: ['running', 'running'] }).map((r) => r.id)).toEqual(['exp-2']);
    expect(t.list({ states: [] })).toEqual([]);
    expect(t.countByState()).toEqual({ completed: 1, running: 1 });
  });

  it('settings and seen requests: a key seen once, again only after it expired', () => {
    const s = createSettings(db);
    s.set('halt', 'yes');
    expect(s.get('halt')).toBe('yes');
    s.set('halt', undefined);
    expect(s.get('halt')).toBeUndefined();
    const seen = createSeenRequests(db);
    expect(seen.firstTime('req-1', 100, 200)).toBe(true);
    expect(seen.firstTime('req-1', 150, 250)).toBe(false);
    expect(seen.count(150)).toBe(1);
    expect(seen.firstTime('req-1', 200, 300)).toBe(true);
  });

  it('schedule runs: a slot is claimed once, settled, listed newest first', () => {
    const runs = createScheduleRuns(db);
    expect(runs.claim({ scheduleId: 'sch-1', slot: 60_000, at: 60_001, outcome: 'fired', data: {} })).toBe(true);
    expect(runs.claim({ scheduleId: 'sch-1', slot: 60_000, at: 60_002, outcome: 'fired', data: {} })).toBe(false);
    expect(runs.settle({ scheduleId: 'sch-1', slot: 60_000, at: 60_003, outcome: 'failed', data: { why: 'x' } })).toBe(true);
    runs.claim({ scheduleId: 'sch-1', slot: 120_000, at: 120_001, outcome: 'skipped', data: {} });
    expect(runs.list('sch-1').map((r) => [r.slot, r.outcome])).toEqual([[120_000, 'skipped'], [60_000, 'failed']]);
    expect(runs.list('sch-1', 1)).toHaveLength(1);
    expect(runs.lastSlot('sch-1')).toBe(120_000);
    expect(runs.lastSlot('sch-none')).toBeUndefined();
  });

  it('incidents: a late, older event never reopens a resolved incident', () => {
    const inc = createIncidentRecords(db);
    const base = { id: 'P1', serviceId: 'SVC', urgency: 'high' as const, learnedAt: 10, source: 'webhook', data: {} };
    expect(inc.put({ ...base, status: 'resolved', asOf: 20 })).toBe(true);
    expect(inc.put({ ...base, status: 'triggered', asOf: 15 })).toBe(false);
    expect(inc.get('P1')?.status).toBe('resolved');
    inc.put({ ...base, id: 'P2', status: 'triggered', asOf: 30 });
    expect(inc.open(['SVC', 'SVC', 'OTHER']).map((r) => r.id)).toEqual(['P2']);
    expect(inc.pruneResolved(11)).toBe(1);
  });
});
