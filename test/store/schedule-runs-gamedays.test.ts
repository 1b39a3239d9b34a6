import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from './temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  tmp = tempDir();
  store = openStore({ path: tmp.file() });
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('schedule runs', () => {
  it('claims a slot once, even across a reopen of the file', () => {
    const run = { scheduleId: 'sch-1', slot: 60_000, at: 60_010, outcome: 'fired' as const, data: { experimentId: 'exp-aa11' } };
    expect(store.scheduleRuns.claim(run)).toBe(true);
    expect(store.scheduleRuns.claim({ ...run, outcome: 'skipped', data: {} })).toBe(false);
    store.close();
    store = openStore({ path: tmp.file() });
    expect(store.scheduleRuns.claim(run)).toBe(false);
    expect(store.scheduleRuns.list('sch-1')).toEqual([run]);
    expect(store.scheduleRuns.lastSlot('sch-1')).toBe(60_000);
    expect(store.scheduleRuns.lastSlot('sch-2')).toBeUndefined();
  });

  it('lists newest slot first and refuses an unknown outcome', () => {
    for (const slot of [1, 3, 2]) store.scheduleRuns.claim({ scheduleId: 'sch-1', slot, at: slot, outcome: 'skipped', data: { reason: `r${slot}` } });
    expect(store.scheduleRuns.list('sch-1', 2).map((r) => r.slot)).toEqual([3, 2]);
    expect(() => store.scheduleRuns.claim({ scheduleId: 'sch-1', slot: 9, at: 9, outcome: 'maybe' as never, data: {} })).toThrow(/store_error|outcome/);
  });
});

describe('game days and schedules tables', () => {
  it('keep their snapshots apart from experiments', () => {
    store.gamedays.save({ id: 'gd-1', name: 'checkout', state: 'proposed', updatedAt: 1, data: { steps: 3 } });
    store.schedules.save({ id: 'sch-1', name: 'nightly', state: 'active', updatedAt: 1, data: {} });
    expect(store.experiments.list()).toEqual([]);
    expect(store.gamedays.get('gd-1')?.data).toEqual({ steps: 3 });
    expect(store.schedules.list({ states: ['active'] }).map((s) => s.id)).toEqual(['sch-1']);
    expect(store.gamedays.countByState()).toEqual({ proposed: 1 });
  });
});

describe('schedule runs: settling a claimed slot', () => {
  it('replaces the outcome of a claimed slot (kept across a reopen) and refuses a slot never claimed', () => {
    const claim = { scheduleId: 'sch-1', slot: 60_000, at: 60_010, outcome: 'fired' as const, data: { state: 'claimed' } };
    expect(store.scheduleRuns.claim(claim)).toBe(true);
    const failed = { ...claim, at: 60_020, outcome: 'failed' as const, data: { code: 'ladder', reason: 'start small' } };
    expect(store.scheduleRuns.settle(failed)).toBe(true);
    expect(store.scheduleRuns.settle({ ...failed, slot: 120_000 })).toBe(false);
    expect(store.scheduleRuns.settle({ ...failed, scheduleId: 'sch-2' })).toBe(false);
    store.close();
    store = openStore({ path: tmp.file() });
    expect(store.scheduleRuns.list('sch-1')).toEqual([failed]);
    expect(store.scheduleRuns.list('sch-2')).toEqual([]);
    expect(() => store.scheduleRuns.settle({ ...failed, outcome: 'maybe' as never })).toThrow(/outcome|store_error/);
  });
});
