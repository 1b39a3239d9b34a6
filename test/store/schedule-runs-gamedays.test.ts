import { describe, expect, it } from 'vitest';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

describe.each(STORE_BACKENDS)('on %s', (backend) => {
const db = storeEachTest(backend);

describe('schedule runs', () => {
  it('claims a slot once, even across a reopen of the file', () => {
    const run = { scheduleId: 'sch-1', slot: 60_000, at: 60_010, outcome: 'fired' as const, data: { experimentId: 'exp-aa11' } };
    expect(db.store.scheduleRuns.claim(run)).toBe(true);
    expect(db.store.scheduleRuns.claim({ ...run, outcome: 'skipped', data: {} })).toBe(false);
    db.reopen();
    expect(db.store.scheduleRuns.claim(run)).toBe(false);
    expect(db.store.scheduleRuns.list('sch-1')).toEqual([run]);
    expect(db.store.scheduleRuns.lastSlot('sch-1')).toBe(60_000);
    expect(db.store.scheduleRuns.lastSlot('sch-2')).toBeUndefined();
  });

  it('lists newest slot first and refuses an unknown outcome', () => {
    for (const slot of [1, 3, 2]) db.store.scheduleRuns.claim({ scheduleId: 'sch-1', slot, at: slot, outcome: 'skipped', data: { reason: `r${slot}` } });
    expect(db.store.scheduleRuns.list('sch-1', 2).map((r) => r.slot)).toEqual([3, 2]);
    expect(() => db.store.scheduleRuns.claim({ scheduleId: 'sch-1', slot: 9, at: 9, outcome: 'maybe' as never, data: {} })).toThrow(/store_error|outcome/);
  });
});

describe('game days and schedules tables', () => {
  it('keep their snapshots apart from experiments', () => {
    db.store.gamedays.save({ id: 'gd-1', name: 'checkout', state: 'proposed', updatedAt: 1, data: { steps: 3 } });
    db.store.schedules.save({ id: 'sch-1', name: 'nightly', state: 'active', updatedAt: 1, data: {} });
    expect(db.store.experiments.list()).toEqual([]);
    expect(db.store.gamedays.get('gd-1')?.data).toEqual({ steps: 3 });
    expect(db.store.schedules.list({ states: ['active'] }).map((s) => s.id)).toEqual(['sch-1']);
    expect(db.store.gamedays.countByState()).toEqual({ proposed: 1 });
  });
});

describe('schedule runs: settling a claimed slot', () => {
  it('replaces the outcome of a claimed slot (kept across a reopen) and refuses a slot never claimed', () => {
    const claim = { scheduleId: 'sch-1', slot: 60_000, at: 60_010, outcome: 'fired' as const, data: { state: 'claimed' } };
    expect(db.store.scheduleRuns.claim(claim)).toBe(true);
    const failed = { ...claim, at: 60_020, outcome: 'failed' as const, data: { code: 'ladder', reason: 'start small' } };
    expect(db.store.scheduleRuns.settle(failed)).toBe(true);
    expect(db.store.scheduleRuns.settle({ ...failed, slot: 120_000 })).toBe(false);
    expect(db.store.scheduleRuns.settle({ ...failed, scheduleId: 'sch-2' })).toBe(false);
    db.reopen();
    expect(db.store.scheduleRuns.list('sch-1')).toEqual([failed]);
    expect(db.store.scheduleRuns.list('sch-2')).toEqual([]);
    expect(() => db.store.scheduleRuns.settle({ ...failed, outcome: 'maybe' as never })).toThrow(/outcome|store_error/);
  });
});
});
