import { describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { GENESIS_HASH, eventHash, type Store } from '../../src/store/index.js';
import { STORE_BACKENDS, storeEachTest } from './temp-dir.js';

describe.each(STORE_BACKENDS)('on %s', (backend) => {
const db = storeEachTest(backend);

function seed(): void {
  db.store.append({ at: 100, actor: 'U1', kind: 'proposed', experimentId: 'exp-a', data: { plan: 'p1' } });
  db.store.append({ at: 101, actor: 'U2', kind: 'approved', experimentId: 'exp-a' });
  db.store.append({ at: 102, actor: 'U1', kind: 'proposed', experimentId: 'exp-b' });
  db.store.append({ at: 103, actor: 'faultline', kind: 'halted' });
  db.store.append({ at: 104, actor: 'faultline', kind: 'injected', experimentId: 'exp-a', data: { handleId: 'h1' } });
}

describe('append', () => {
  it('returns the stored row with seq, defaults and a chained hash', () => {
    const first = db.store.append({ at: 1_700_000_000_000, actor: 'U1', kind: 'proposed' });
    expect(first).toEqual({
      seq: 1,
      at: 1_700_000_000_000,
      actor: 'U1',
      kind: 'proposed',
      experimentId: null,
      data: {},
      prevHash: GENESIS_HASH,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const second = db.store.append({ at: 2, actor: 'U2', kind: 'approved', experimentId: 'e1', data: { b: 2, a: 1 } });
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.hash).toBe(eventHash(second));
  });

  it('stores data as canonical JSON and returns what was stored', () => {
    const stored = db.store.append({ at: 1, actor: 'u', kind: 'k', data: { z: 1, a: { c: undefined, b: new Date(0) } } });
    expect(stored.data).toEqual({ z: 1, a: { b: '1970-01-01T00:00:00.000Z' } });
    expect(db.store.events()[0]).toEqual(stored);
  });

  it('refuses an invalid event with store_error and writes nothing', () => {
    const bad = [
      { at: 1.5, actor: 'u', kind: 'k' },
      { at: 1, actor: 'u', kind: '' },
      { at: 1, kind: 'k' },
      { at: 1, actor: 'u', kind: 'k', data: [1, 2] },
    ];
    for (const entry of bad) {
      let caught: unknown;
      try {
        db.store.append(entry as never);
      } catch (err) {
        caught = err;
      }
      expect(isFaultlineError(caught, 'store_error')).toBe(true);
      expect((caught as Error).message).toContain(db.store.path);
    }
    expect(() => db.store.append({ at: 1, actor: 'u', kind: 'k', data: { n: 1n } })).toThrow(expect.objectContaining({ code: 'store_error' }));
    expect(db.store.events()).toEqual([]);
    expect(db.store.verifyAudit()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });
});

describe('journal and events', () => {
  it('journal returns one experiment in seq order', () => {
    seed();
    expect(db.store.journal('exp-a').map((e) => [e.seq, e.kind])).toEqual([
      [1, 'proposed'],
      [2, 'approved'],
      [5, 'injected'],
    ]);
    expect(db.store.journal('exp-b').map((e) => e.seq)).toEqual([3]);
    expect(db.store.journal('nope')).toEqual([]);
  });

  it('events with no filter returns everything in seq order', () => {
    seed();
    expect(db.store.events().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('filters by kinds, afterSeq, limit and experimentId, alone and combined', () => {
    seed();
    const seqs = (f: Parameters<Store['events']>[0]) => db.store.events(f).map((e) => e.seq);
    expect(seqs({ kinds: ['proposed'] })).toEqual([1, 3]);
    expect(seqs({ kinds: ['proposed', 'halted'] })).toEqual([1, 3, 4]);
    expect(seqs({ kinds: [] })).toEqual([]);
    expect(seqs({ afterSeq: 3 })).toEqual([4, 5]);
    expect(seqs({ limit: 2 })).toEqual([1, 2]);
    expect(seqs({ limit: 0 })).toEqual([]);
    expect(seqs({ experimentId: 'exp-a' })).toEqual([1, 2, 5]);
    expect(seqs({ experimentId: 'exp-a', kinds: ['proposed', 'injected'], afterSeq: 1 })).toEqual([5]);
    expect(seqs({ kinds: ['proposed', 'approved', 'injected'], afterSeq: 1, limit: 2 })).toEqual([2, 3]);
    expect(seqs({ kinds: ["it's", 'a"b'] })).toEqual([]);
  });

  it('pages through the log with afterSeq and limit', () => {
    for (let i = 0; i < 25; i += 1) db.store.append({ at: i, actor: 'u', kind: 'tick', data: { i } });
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const page = db.store.events({ afterSeq: after, limit: 10 });
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.data.i as number));
      after = page.at(-1)!.seq;
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('refuses a negative or fractional limit', () => {
    expect(() => db.store.events({ limit: -1 })).toThrow(expect.objectContaining({ code: 'store_error' }));
    expect(() => db.store.events({ limit: 1.5 })).toThrow(expect.objectContaining({ code: 'store_error' }));
  });
});

describe('transaction', () => {
  it('commits several writes together', () => {
    const result = db.store.transaction(() => {
      db.store.append({ at: 1, actor: 'u', kind: 'a', experimentId: 'e' });
      db.store.experiments.save({ id: 'e', name: 'n', state: 'running', updatedAt: 1, data: {} });
      db.store.settings.set('halted', 'true');
      return 'done';
    });
    expect(result).toBe('done');
    expect(db.store.journal('e')).toHaveLength(1);
    expect(db.store.experiments.get('e')?.state).toBe('running');
    expect(db.store.settings.get('halted')).toBe('true');
  });

  it('rolls every write back and rethrows the caller error unchanged', () => {
    db.store.append({ at: 0, actor: 'u', kind: 'before' });
    const boom = new Error('boom');
    expect(() =>
      db.store.transaction(() => {
        db.store.append({ at: 1, actor: 'u', kind: 'a', experimentId: 'e' });
        db.store.experiments.save({ id: 'e', name: 'n', state: 'running', updatedAt: 1, data: {} });
        db.store.settings.set('halted', 'true');
        throw boom;
      }),
    ).toThrow(boom);
    expect(db.store.events().map((e) => e.kind)).toEqual(['before']);
    expect(db.store.experiments.get('e')).toBeUndefined();
    expect(db.store.settings.get('halted')).toBeUndefined();
    // The chain continues from the last committed row: seq 2 is reused because nothing was committed.
    const next = db.store.append({ at: 2, actor: 'u', kind: 'after' });
    expect(next.seq).toBe(2);
    expect(db.store.verifyAudit()).toMatchObject({ ok: true, count: 2 });
  });

  it('nests', () => {
    db.store.transaction(() => {
      db.store.append({ at: 1, actor: 'u', kind: 'outer' });
      db.store.transaction(() => db.store.append({ at: 2, actor: 'u', kind: 'inner' }));
    });
    expect(db.store.events().map((e) => e.kind)).toEqual(['outer', 'inner']);
    expect(db.store.verifyAudit()).toMatchObject({ ok: true, count: 2 });
  });

  it('refuses an async function and rolls back what it did synchronously', () => {
    expect(() =>
      db.store.transaction(async () => {
        db.store.append({ at: 1, actor: 'u', kind: 'sync-part' });
        await Promise.resolve();
      }),
    ).toThrow(expect.objectContaining({ code: 'store_error', message: expect.stringContaining('synchronous') }));
    expect(db.store.events()).toEqual([]);
  });
});
});
