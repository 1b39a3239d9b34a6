import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, runMigrations, type IncidentRow, type Migration } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

const row = (over: Partial<IncidentRow> = {}): IncidentRow => ({
  id: 'PINC1',
  serviceId: 'PSVC1',
  status: 'triggered',
  urgency: 'high',
  asOf: 1_000,
  learnedAt: 1_000,
  source: 'webhook',
  data: { title: 'Checkout 5xx above SLO', number: 42 },
  ...over,
});

describe.each(STORE_BACKENDS)('store: incidents on %s', (backend) => {
  const ctx = storeEachTest(backend);

  it('keeps the latest state of each incident and lists the open ones per service', () => {
    const { incidents } = ctx.store;
    expect(incidents.put(row())).toBe(true);
    expect(incidents.put(row({ id: 'PINC2', serviceId: 'POTHER', status: 'acknowledged', urgency: 'low', asOf: 2_000 }))).toBe(true);
    expect(incidents.put(row({ id: 'PINC3', status: 'resolved', asOf: 3_000 }))).toBe(true);
    expect(incidents.open(['PSVC1']).map((r) => r.id)).toEqual(['PINC1']);
    expect(incidents.open(['PSVC1', 'POTHER', 'PSVC1']).map((r) => r.id)).toEqual(['PINC1', 'PINC2']);
    expect(incidents.open([])).toEqual([]);
    expect(incidents.put(row({ status: 'resolved', asOf: 4_000 }))).toBe(true);
    expect(incidents.open(['PSVC1'])).toEqual([]);
    expect(incidents.get('PINC1')).toMatchObject({ status: 'resolved', asOf: 4_000, data: { title: 'Checkout 5xx above SLO' } });
  });

  it('an older event arriving late changes nothing (a triggered after its resolve does not reopen it)', () => {
    const { incidents } = ctx.store;
    incidents.put(row({ status: 'resolved', asOf: 5_000 }));
    expect(incidents.put(row({ status: 'triggered', asOf: 4_999 }))).toBe(false);
    expect(incidents.get('PINC1')?.status).toBe('resolved');
    expect(incidents.put(row({ status: 'triggered', asOf: 6_000, source: 'webhook' }))).toBe(true);
    expect(incidents.open(['PSVC1']).map((r) => r.asOf)).toEqual([6_000]);
  });

  it('survives a restart (a new connection on the same file)', () => {
    ctx.store.incidents.put(row());
    ctx.reopen();
    expect(ctx.store.incidents.open(['PSVC1']).map((r) => r.id)).toEqual(['PINC1']);
  });

  it('forgets resolved incidents older than a cut-off, never open ones', () => {
    const { incidents } = ctx.store;
    incidents.put(row({ id: 'OLD', status: 'resolved', learnedAt: 100 }));
    incidents.put(row({ id: 'NEW', status: 'resolved', learnedAt: 10_000 }));
    incidents.put(row({ id: 'OPEN', learnedAt: 100 }));
    expect(incidents.pruneResolved(5_000)).toBe(1);
    expect(incidents.get('OLD')).toBeUndefined();
    expect(incidents.get('NEW')).toBeDefined();
    expect(incidents.get('OPEN')).toBeDefined();
  });

  it('refuses a malformed row (unknown status) as store_error', () => {
    expect(() => ctx.store.incidents.put(row({ status: 'open' as never }))).toThrow(expect.objectContaining({ code: 'store_error' }));
  });
});

describe('migrations with a gap in their numbers', () => {
  it('accepts a list that skips a number, and applies the missing step when a later list has it', () => {
    const db = new Database(':memory:');
    const filler: Migration = { version: 1000, name: 'filler', up: (d) => d.exec('CREATE TABLE filler (x INTEGER) STRICT') };
    const later: Migration = { version: 1002, name: 'later', up: (d) => d.exec('CREATE TABLE later (x INTEGER) STRICT') };
    const gap: Migration = { version: 1001, name: 'gap', up: (d) => d.exec('CREATE TABLE gap (x INTEGER) STRICT') };
    const known = MIGRATIONS.map((m) => m.version);
    expect(runMigrations(db, 'gap.db', [...MIGRATIONS, filler, later]).applied).toEqual([...known, 1000, 1002]);
    // The number left free is filled later: the database already went past it and still gets it.
    expect(runMigrations(db, 'gap.db', [...MIGRATIONS, filler, gap, later])).toEqual({ version: 1002, applied: [1001] });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'gap'").get()).toEqual({ name: 'gap' });
    expect(runMigrations(db, 'gap.db', [...MIGRATIONS, filler, gap, later]).applied).toEqual([]);
    db.close();
  });

  it('still refuses versions that repeat or go backwards', () => {
    const db = new Database(':memory:');
    const [first, second] = MIGRATIONS;
    expect(() => runMigrations(db, 'x.db', [first!, second!, second!])).toThrow(/out of order/);
    expect(() => runMigrations(db, 'x.db', [{ ...first!, version: 0 }])).toThrow(/out of order/);
    db.close();
  });
});
