import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

describe.each(STORE_BACKENDS)('on %s', (backend) => {
const db = storeEachTest(backend);
const MIN = 60_000;

describe('seen requests', () => {
  it('a key is new once, and still known after the file is reopened (a restart)', () => {
    expect(db.store.seenRequests.firstTime('request:abc', 1_000, 1_000 + 5 * MIN)).toBe(true);
    expect(db.store.seenRequests.firstTime('request:abc', 2_000, 2_000 + 5 * MIN)).toBe(false);
    db.reopen();
    expect(db.store.seenRequests.firstTime('request:abc', 3_000, 3_000 + 5 * MIN)).toBe(false);
    expect(db.store.seenRequests.firstTime('request:other', 3_000, 3_000 + 5 * MIN)).toBe(true);
    expect(db.store.seenRequests.count(3_000)).toBe(2);
  });

  it('a repeat does not extend the window; once the row expired the key is new again', () => {
    expect(db.store.seenRequests.firstTime('k', 0, 5 * MIN)).toBe(true);
    expect(db.store.seenRequests.firstTime('k', 4 * MIN, 9 * MIN)).toBe(false);
    expect(db.store.seenRequests.firstTime('k', 5 * MIN - 1, 10 * MIN)).toBe(false);
    expect(db.store.seenRequests.firstTime('k', 5 * MIN, 10 * MIN)).toBe(true);
    expect(db.store.seenRequests.firstTime('k', 6 * MIN, 11 * MIN)).toBe(false);
  });

  it('old rows go: every firstTime removes what expired, and purge does on its own', () => {
    for (let i = 0; i < 5; i++) db.store.seenRequests.firstTime(`old-${i}`, 0, MIN);
    db.store.seenRequests.firstTime('late', 0, 10 * MIN);
    const rows = () => db.rawCount('seen_requests');
    expect(rows()).toBe(6);
    db.store.seenRequests.firstTime('new', 2 * MIN, 7 * MIN);
    expect(rows()).toBe(2);
    expect(db.store.seenRequests.purge(10 * MIN)).toBe(2);
    expect(rows()).toBe(0);
  });

  it('two connections on one database (two bot processes) agree: exactly one sees a key first', () => {
    const other = openStore(db.where);
    try {
      const answers = [db.store.seenRequests.firstTime('shared', 0, MIN), other.seenRequests.firstTime('shared', 0, MIN)];
      expect(answers.sort()).toEqual([false, true]);
    } finally {
      other.close();
    }
  });

  it('refuses an empty key and times that are not whole milliseconds with store_error', () => {
    expect(() => db.store.seenRequests.firstTime('', 0, MIN)).toThrow(/empty key/);
    expect(() => db.store.seenRequests.firstTime('k', 0.5, MIN)).toThrow(/integers/);
    db.store.close();
    expect(() => db.store.seenRequests.firstTime('k', 0, MIN)).toThrow(/store is closed/);
    db.reopen();
  });
});
});
