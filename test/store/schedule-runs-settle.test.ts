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
