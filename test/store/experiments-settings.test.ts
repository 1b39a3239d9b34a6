import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

describe.each(STORE_BACKENDS)('on %s', (backend) => {
const db = storeEachTest(backend);

describe('experiments', () => {
  it('saves and gets a snapshot with its JSON data', () => {
    const rec = { id: 'e1', name: 'kill-one-pod', state: 'proposed', updatedAt: 10, data: { plan: { targets: ['a', 'b'] }, n: 1.5 } };
    db.store.experiments.save(rec);
    expect(db.store.experiments.get('e1')).toEqual(rec);
    expect(db.store.experiments.get('missing')).toBeUndefined();
  });

  it('upserts: saving the same id replaces the snapshot', () => {
    db.store.experiments.save({ id: 'e1', name: 'a', state: 'proposed', updatedAt: 10, data: { v: 1 } });
    db.store.experiments.save({ id: 'e1', name: 'a2', state: 'approved', updatedAt: 20, data: { v: 2 } });
    expect(db.store.experiments.get('e1')).toEqual({ id: 'e1', name: 'a2', state: 'approved', updatedAt: 20, data: { v: 2 } });
    expect(db.store.experiments.list()).toHaveLength(1);
  });

  it('keeps any JSON value as data (null for undefined)', () => {
    db.store.experiments.save({ id: 'a', name: 'n', state: 's', updatedAt: 1, data: [1, 'two'] });
    db.store.experiments.save({ id: 'b', name: 'n', state: 's', updatedAt: 1, data: 'text' });
    db.store.experiments.save({ id: 'c', name: 'n', state: 's', updatedAt: 1, data: undefined });
    expect(db.store.experiments.get('a')?.data).toEqual([1, 'two']);
    expect(db.store.experiments.get('b')?.data).toBe('text');
    expect(db.store.experiments.get('c')?.data).toBeNull();
  });

  it('lists newest first, filtered by states, with a limit', () => {
    db.store.experiments.save({ id: 'e1', name: 'a', state: 'completed', updatedAt: 10, data: {} });
    db.store.experiments.save({ id: 'e2', name: 'b', state: 'running', updatedAt: 30, data: {} });
    db.store.experiments.save({ id: 'e3', name: 'c', state: 'proposed', updatedAt: 20, data: {} });
    db.store.experiments.save({ id: 'e4', name: 'd', state: 'running', updatedAt: 5, data: {} });
    const ids = (f?: Parameters<Store['experiments']['list']>[0]) => db.store.experiments.list(f).map((r) => r.id);
    expect(ids()).toEqual(['e2', 'e3', 'e1', 'e4']);
    expect(ids({ states: ['running'] })).toEqual(['e2', 'e4']);
    expect(ids({ states: ['running', 'proposed'], limit: 2 })).toEqual(['e2', 'e3']);
    expect(ids({ states: [] })).toEqual([]);
    expect(ids({ limit: 1 })).toEqual(['e2']);
    // An update moves it to the front.
    db.store.experiments.save({ id: 'e4', name: 'd', state: 'aborted', updatedAt: 40, data: {} });
    expect(ids()[0]).toBe('e4');
  });

  it('refuses an invalid record with store_error', () => {
    expect(() => db.store.experiments.save({ id: '', name: 'n', state: 's', updatedAt: 1, data: {} })).toThrow(
      expect.objectContaining({ code: 'store_error' }),
    );
    expect(() => db.store.experiments.save({ id: 'x', name: 'n', state: 's', updatedAt: 1.5, data: {} })).toThrow(
      expect.objectContaining({ code: 'store_error' }),
    );
  });

  it('survives reopening the file', () => {
    db.store.experiments.save({ id: 'e1', name: 'a', state: 'running', updatedAt: 10, data: { k: 'v' } });
    db.reopen();
    expect(db.store.experiments.get('e1')?.data).toEqual({ k: 'v' });
  });
});

describe('settings', () => {
  it('gets, sets, overwrites and deletes with undefined', () => {
    expect(db.store.settings.get('halted')).toBeUndefined();
    db.store.settings.set('halted', 'true');
    expect(db.store.settings.get('halted')).toBe('true');
    db.store.settings.set('halted', '');
    expect(db.store.settings.get('halted')).toBe('');
    db.store.settings.set('halted', undefined);
    expect(db.store.settings.get('halted')).toBeUndefined();
    db.store.settings.set('never-set', undefined);
    expect(db.store.settings.get('never-set')).toBeUndefined();
  });

  it('survives reopening the file', () => {
    db.store.settings.set('k', 'v');
    db.reopen();
    expect(db.store.settings.get('k')).toBe('v');
  });
});
});
