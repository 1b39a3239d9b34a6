import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { CHANNELS, ReplicaDb } from '../../src/store/postgres/replica-db.js';
import { usePostgres, type PostgresServer } from '../support/postgres.js';
import { clearReplicaTables, deadPort, listening, replicaDatabase, sleep, sql, waitUntil } from './replica-support.js';

/**
 * ReplicaDb against a real PostgreSQL: the leader lease (epochs, expiry by the server's clock,
 * release), the store's synchronous `holds` agreeing with it, the command hand-overs (order, SKIP
 * LOCKED, the lease as a condition of taking), the replay guard's `firstTime`, LISTEN/NOTIFY, and a
 * database that is not there.
 */
describe('ReplicaDb on PostgreSQL', () => {
  let server: PostgresServer;
  let database: { url: string; drop(): void };
  const open: ReplicaDb[] = [];
  let store: Store | undefined;
  const replica = (url = database.url, opts = {}) => {
    const db = new ReplicaDb(url, opts);
    open.push(db);
    return db;
  };

  beforeAll(async () => {
    server = await usePostgres();
    database = replicaDatabase(server, 'replica_db');
  });
  beforeEach(async () => {
    await clearReplicaTables(database.url);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    store?.close();
    store = undefined;
  });
  afterAll(async () => {
    database?.drop();
    await server?.stop();
  });

  describe('the lease', () => {
    it('epoch 1 on an empty table; a second holder gets null while it is live; the store agrees', async () => {
      const a = replica();
      const b = replica();
      store = openStore({ url: database.url });
      expect(await a.lease()).toBeNull();
      expect(await a.acquire('a', 60_000, 1_000)).toBe(1);
      expect(store.leases.holds({ holder: 'a', epoch: 1 })).toBe(true);
      expect(await b.acquire('b', 60_000, 1_001)).toBeNull();
      // A second acquire by the holder itself is no renewal: the lease is live, so nobody gets it.
      expect(await a.acquire('a', 60_000, 1_002)).toBeNull();
      expect(await a.lease()).toMatchObject({ holder: 'a', epoch: 1 });
      expect((await a.lease())!.leftMs).toBeGreaterThan(50_000);
      expect(store.leases.holds({ holder: 'b', epoch: 1 })).toBe(false);
      expect(store.leases.holds({ holder: 'a', epoch: 2 })).toBe(false);
      expect(await a.renew({ holder: 'a', epoch: 1 }, 60_000)).toBe(true);
      expect(await b.renew({ holder: 'b', epoch: 1 }, 60_000)).toBe(false);
      expect(await a.renew({ holder: 'a', epoch: 2 }, 60_000)).toBe(false);
      const rows = await sql<{ acquired_at: string }>(database.url, 'SELECT acquired_at FROM leader_lease');
      expect(rows.map((r) => Number(r.acquired_at))).toEqual([1_000]);
    });

    it('after expiry the second holder gets epoch 2 and the first one renews no more', async () => {
      const a = replica();
      const b = replica();
      store = openStore({ url: database.url });
      const first = { holder: 'a', epoch: (await a.acquire('a', 300, Date.now()))! };
      expect(first.epoch).toBe(1);
      expect(await b.acquire('b', 300, Date.now())).toBeNull();
      await waitUntil('the lease to expire', async () => (await a.lease())!.leftMs === 0);
      // Expired and not taken yet: neither `holds` nor a renewal brings it back.
      expect(store.leases.holds(first)).toBe(false);
      expect(await a.renew(first, 300)).toBe(false);
      expect(await b.acquire('b', 60_000, Date.now())).toBe(2);
      expect(await a.renew(first, 60_000)).toBe(false);
      expect(store.leases.holds(first)).toBe(false);
      expect(store.leases.holds({ holder: 'b', epoch: 2 })).toBe(true);
      expect(await a.lease()).toMatchObject({ holder: 'b', epoch: 2 });
    });

    it('release lets another acquire at once; releasing with a stale token changes nothing', async () => {
      const a = replica();
      const b = replica();
      store = openStore({ url: database.url });
      expect(await a.acquire('a', 60_000, Date.now())).toBe(1);
      await b.release({ holder: 'b', epoch: 1 });
      await a.release({ holder: 'a', epoch: 7 });
      expect(store.leases.holds({ holder: 'a', epoch: 1 })).toBe(true);
      expect(await b.acquire('b', 60_000, Date.now())).toBeNull();

      await a.release({ holder: 'a', epoch: 1 });
      expect(store.leases.holds({ holder: 'a', epoch: 1 })).toBe(false);
      expect(await a.lease()).toMatchObject({ holder: 'a', epoch: 1, leftMs: 0 });
      expect(await b.acquire('b', 60_000, Date.now())).toBe(2);
      expect(store.leases.holds({ holder: 'b', epoch: 2 })).toBe(true);
      expect(await a.renew({ holder: 'a', epoch: 1 }, 60_000)).toBe(false);
      // The old holder coming back gets a new epoch, never its old one.
      await b.release({ holder: 'b', epoch: 2 });
      expect(await a.acquire('a', 60_000, Date.now())).toBe(3);
      expect(store.leases.holds({ holder: 'a', epoch: 1 })).toBe(false);
      expect(store.leases.holds({ holder: 'a', epoch: 3 })).toBe(true);
    });

    it('concurrent acquires on an empty table: exactly one gets epoch 1', async () => {
      const dbs = [replica(), replica(), replica()];
      const got = await Promise.all(dbs.flatMap((db, i) => [db.acquire(`r${i}a`, 60_000, 1), db.acquire(`r${i}b`, 60_000, 1)]));
      expect(got.filter((e) => e !== null)).toEqual([1]);
    });
  });

  describe('command hand-overs', () => {
    const leader = async (db: ReplicaDb) => ({ holder: 'leader', epoch: (await db.acquire('leader', 60_000, Date.now()))! });

    it('take returns urgent rows first, then by id, each once; then null', async () => {
      const db = replica();
      const token = await leader(db);
      const ids = [];
      for (const [n, urgent] of [
        [1, false],
        [2, true],
        [3, false],
        [4, true],
      ] as const)
        ids.push(await db.submit({ n }, urgent, 1_000 + n));
      expect(ids[1]! > ids[0]! && ids[2]! > ids[1]! && ids[3]! > ids[2]!).toBe(true);
      const taken = [];
      for (let row = await db.take(token); row; row = await db.take(token)) taken.push(row);
      expect(taken.map((r) => r.payload)).toEqual([{ n: 2 }, { n: 4 }, { n: 1 }, { n: 3 }]);
      expect(taken.map((r) => r.id)).toEqual([ids[1], ids[3], ids[0], ids[2]]);
      expect(taken[0]).toEqual({ id: ids[1], createdAt: 1_002, urgent: true, payload: { n: 2 } });
      expect(taken[2]!.urgent).toBe(false);
      expect(await db.take(token)).toBeNull();
      const rows = await sql<{ state: string; taken_by: string; taken_epoch: string }>(database.url, 'SELECT state, taken_by, taken_epoch FROM command_handoffs');
      expect(rows.every((r) => r.state === 'taken' && r.taken_by === 'leader' && Number(r.taken_epoch) === token.epoch)).toBe(true);
    });

    it('concurrent takes never return the same row (SKIP LOCKED), and together they take every row', async () => {
      const takers = [replica(), replica(), replica(), replica()];
      const token = await leader(takers[0]!);
      const n = 40;
      for (let i = 0; i < n; i++) await takers[0]!.submit({ i }, i % 5 === 0, i);
      const seen: number[] = [];
      await Promise.all(
        takers.map(async (db) => {
          for (let row = await db.take(token); row; row = await db.take(token)) seen.push(row.id);
        }),
      );
      expect(seen.length).toBe(n);
      expect(new Set(seen).size).toBe(n);
    });

    it('take by a token that does not hold the lease returns null and leaves the row pending', async () => {
      const db = replica();
      const token = await leader(db);
      const id = await db.submit({ x: 1 }, true, 1);
      expect(await db.take({ holder: 'other', epoch: token.epoch })).toBeNull();
      expect(await db.take({ holder: 'leader', epoch: token.epoch + 1 })).toBeNull();
      expect(await db.reply(id)).toEqual({ state: 'pending', reply: null });
      // A lease that expired takes nothing either.
      await db.release(token);
      expect(await db.take(token)).toBeNull();
      expect(await db.reply(id)).toEqual({ state: 'pending', reply: null });
      // The next holder takes it.
      const next = { holder: 'next', epoch: (await db.acquire('next', 60_000, Date.now()))! };
      expect((await db.take(next))?.id).toBe(id);
    });

    it('take on an empty table (no lease row at all) is null', async () => {
      const db = replica();
      await db.submit({ x: 1 }, false, 1);
      expect(await db.take({ holder: 'leader', epoch: 1 })).toBeNull();
    });

    it('abandon of a pending row is true and take skips it; abandon after take is false', async () => {
      const db = replica();
      const token = await leader(db);
      const first = await db.submit({ n: 1 }, true, 1);
      const second = await db.submit({ n: 2 }, false, 2);
      expect(await db.abandon(first)).toBe(true);
      expect(await db.abandon(first)).toBe(false);
      expect(await db.reply(first)).toEqual({ state: 'abandoned', reply: null });
      const row = await db.take(token);
      expect(row?.id).toBe(second);
      expect(await db.take(token)).toBeNull();
      expect(await db.abandon(second)).toBe(false);
      expect(await db.reply(second)).toMatchObject({ state: 'taken' });
      expect(await db.abandon(9_999)).toBe(false);
    });

    it('complete stores the reply and reply() reads it; only a taken row is completed', async () => {
      const db = replica();
      const token = await leader(db);
      const id = await db.submit({ n: 1 }, false, 1);
      const answer = { title: 'done', sections: ['ok'], nested: { n: [1, 2] } };
      // Not taken yet: complete does nothing.
      await db.complete(id, answer);
      expect(await db.reply(id)).toEqual({ state: 'pending', reply: null });
      expect((await db.take(token))?.id).toBe(id);
      expect(await db.reply(id)).toEqual({ state: 'taken', reply: null });
      await db.complete(id, answer);
      expect(await db.reply(id)).toEqual({ state: 'done', reply: answer });
      // Completed once: a second answer does not overwrite the first.
      await db.complete(id, { title: 'again' });
      expect(await db.reply(id)).toEqual({ state: 'done', reply: answer });
      expect(await db.reply(12_345)).toBeNull();
    });

    it('purge deletes only done and abandoned rows older than its limit', async () => {
      const db = replica();
      const token = await leader(db);
      const oldPending = await db.submit({ k: 'old pending' }, false, 100);
      const oldAbandoned = await db.submit({ k: 'old abandoned' }, false, 101);
      await db.abandon(oldAbandoned);
      const oldTaken = await db.submit({ k: 'old taken' }, true, 102);
      const oldDone = await db.submit({ k: 'old done' }, true, 103);
      // Urgent rows go first: take the two old urgent ones, complete one of them.
      expect((await db.take(token))?.id).toBe(oldTaken);
      expect((await db.take(token))?.id).toBe(oldDone);
      await db.complete(oldDone, { ok: true });
      const newDone = await db.submit({ k: 'new done' }, true, 5_000);
      expect((await db.take(token))?.id).toBe(newDone);
      await db.complete(newDone, { ok: true });
      const newAbandoned = await db.submit({ k: 'new abandoned' }, false, 5_001);
      await db.abandon(newAbandoned);
      // Exactly at the limit is not older than it.
      const atLimit = await db.submit({ k: 'at limit' }, false, 1_000);
      await db.abandon(atLimit);

      expect(await db.purge(1_000)).toBe(2);
      const left = await sql<{ id: string }>(database.url, 'SELECT id FROM command_handoffs ORDER BY id');
      expect(left.map((r) => Number(r.id))).toEqual([oldPending, oldTaken, newDone, newAbandoned, atLimit]);
      expect(await db.reply(oldDone)).toBeNull();
      expect(await db.purge(1_000)).toBe(0);
    });

    it('an urgent row submitted after non-urgent ones is still taken first', async () => {
      const db = replica();
      const token = await leader(db);
      for (let i = 0; i < 3; i++) await db.submit({ i }, false, i);
      const abort = await db.submit({ abort: true }, true, 10);
      expect((await db.take(token))?.id).toBe(abort);
    });
  });

  describe('requests seen (the replay guard)', () => {
    it('firstTime is true once, false while the key is live, and true again after it expired', async () => {
      const db = replica();
      expect(await db.firstTime('req-1', 1_000, 2_000)).toBe(true);
      expect(await db.firstTime('req-1', 1_500, 2_500)).toBe(false);
      expect(await db.firstTime('req-1', 1_999, 5_000)).toBe(false);
      expect(await db.firstTime('req-2', 1_500, 2_500)).toBe(true);
      // At its expiry the key is free again, and the new expiry holds from then on.
      expect(await db.firstTime('req-1', 2_000, 3_000)).toBe(true);
      expect(await db.firstTime('req-1', 2_999, 4_000)).toBe(false);
      expect(await db.firstTime('req-1', 3_000, 4_000)).toBe(true);
    });

    it('two replicas offering the same key at once: exactly one sees it first', async () => {
      const dbs = [replica(), replica(), replica()];
      const got = await Promise.all(dbs.flatMap((db) => [db.firstTime('same', 1, 1_000), db.firstTime('same', 1, 1_000)]));
      expect(got.filter(Boolean)).toHaveLength(1);
    });

    it('agrees with the store: a key the store saw is not first here', async () => {
      store = openStore({ url: database.url });
      const db = replica();
      expect(store.seenRequests.firstTime('from-store', 1_000, 2_000)).toBe(true);
      expect(await db.firstTime('from-store', 1_500, 2_500)).toBe(false);
      expect(await db.firstTime('from-replica', 1_000, 2_000)).toBe(true);
      expect(store.seenRequests.firstTime('from-replica', 1_500, 2_500)).toBe(false);
    });
  });

  describe('LISTEN/NOTIFY', () => {
    it('hears the notices of submit, complete and release, on their channels', async () => {
      const db = replica();
      const heard: Array<[string, string]> = [];
      const errors: unknown[] = [];
      const listener = db.listen(
        (channel, payload) => heard.push([channel, payload]),
        (err) => errors.push(err),
      );
      try {
        await waitUntil('the LISTEN to be in place', () => listening(database.url));
        const token = { holder: 'leader', epoch: (await db.acquire('leader', 60_000, Date.now()))! };
        const id = await db.submit({ n: 1 }, false, 1);
        await waitUntil('the commands notice', () => heard.length >= 1);
        expect(heard).toEqual([[CHANNELS.commands, String(id)]]);
        await db.take(token);
        await db.complete(id, { title: 'ok' });
        await waitUntil('the replies notice', () => heard.length >= 2);
        expect(heard[1]).toEqual([CHANNELS.replies, String(id)]);
        await db.release(token);
        await waitUntil('the lease notice', () => heard.length >= 3);
        expect(heard[2]).toEqual([CHANNELS.lease, String(token.epoch)]);
        // Nothing is said for what did not happen: a complete of a row not taken, an abandon.
        const other = await db.submit({ n: 2 }, false, 2);
        await db.complete(other, { title: 'never' });
        await db.abandon(other);
        await waitUntil('the second commands notice', () => heard.length >= 4);
        await sleep(100);
        expect(heard.slice(3)).toEqual([[CHANNELS.commands, String(other)]]);
        expect(errors).toEqual([]);
      } finally {
        await listener.close();
      }
    });

    it('close stops the notices; closing twice is harmless', async () => {
      const db = replica();
      const heard: string[] = [];
      const listener = db.listen(
        (channel) => heard.push(channel),
        () => undefined,
      );
      await waitUntil('the LISTEN to be in place', () => listening(database.url));
      await listener.close();
      await listener.close();
      await waitUntil('the LISTEN session to be gone', async () => !(await listening(database.url)));
      await db.submit({ n: 1 }, false, 1);
      await sleep(100);
      expect(heard).toEqual([]);
    });
  });

  describe('a database that is not there', () => {
    it('ping is false, and every call fails as replica_unavailable well within its connect timeout', async () => {
      const port = await deadPort();
      const url = `postgres://faultline@127.0.0.1:${port}/nothing`;
      const db = replica(url, { connectTimeoutMs: 10_000, statementTimeoutMs: 10_000 });
      expect(await db.ping()).toBe(false);
      const failures = await Promise.allSettled([
        db.lease(),
        db.acquire('a', 1_000, 1),
        db.renew({ holder: 'a', epoch: 1 }, 1_000),
        db.submit({ n: 1 }, false, 1),
        db.take({ holder: 'a', epoch: 1 }),
        db.firstTime('k', 1, 2),
      ]);
      for (const f of failures) {
        expect(f.status).toBe('rejected');
        // Refused, which answers at once: not the 10 s connect timeout running out.
        expect(String((f as PromiseRejectedResult).reason.message)).toContain('ECONNREFUSED');
        expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'replica_unavailable', message: expect.stringContaining(`127.0.0.1:${port}`) });
      }
      expect((failures[0] as PromiseRejectedResult).reason).toMatchObject({ details: { op: 'lease.read' } });
    });

    it('a live database pings true; a closed ReplicaDb pings false', async () => {
      const db = replica();
      expect(await db.ping()).toBe(true);
      await db.close();
      expect(await db.ping()).toBe(false);
      await expect(db.lease()).rejects.toMatchObject({ code: 'replica_unavailable' });
    });

    it('a statement past its timeout fails as replica_unavailable instead of hanging', async () => {
      const db = replica(database.url, { statementTimeoutMs: 200 });
      const blocker = new ReplicaDb(database.url);
      open.push(blocker);
      // Hold the lease row locked in another session: the acquire waits on it and times out.
      const c = new pg.Client({ connectionString: database.url });
      await c.connect();
      try {
        await blocker.acquire('x', 60_000, 1);
        await c.query('BEGIN');
        await c.query('SELECT * FROM leader_lease FOR UPDATE');
        await expect(db.renew({ holder: 'x', epoch: 1 }, 1_000)).rejects.toMatchObject({ code: 'replica_unavailable', details: { op: 'lease.renew' } });
        await c.query('ROLLBACK');
        expect(await db.renew({ holder: 'x', epoch: 1 }, 60_000)).toBe(true);
      } finally {
        await c.end();
      }
    });
  });
});
