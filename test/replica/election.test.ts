import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FaultlineError, isFaultlineError } from '../../src/core/errors.js';
import type { DiscoverContext, FaultHandle, FaultSpec, ResolvedTarget, RevertReceipt, TargetContext, TargetDriver, TargetSpec } from '../../src/core/ports.js';
import { LeaderElection, type ElectionSettings } from '../../src/app/replica/election.js';
import { fencedTargets, leaderFence, type Fence } from '../../src/app/replica/fence.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { FenceToken, LeaderLeases } from '../../src/store/leases.js';
import { CHANNELS, ReplicaDb } from '../../src/store/postgres/replica-db.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { usePostgres, type PostgresServer } from '../support/postgres.js';
import { clearReplicaTables, listening, replicaDatabase, sleep, waitUntil } from './replica-support.js';

const SMALL: ElectionSettings = { leaseTtlMs: 600, renewEveryMs: 150, pollEveryMs: 50 };

/** What a call threw (synchronously), or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('LeaderElection on PostgreSQL', () => {
  let server: PostgresServer;
  let database: { url: string; drop(): void };
  const dbs: ReplicaDb[] = [];
  const elections: LeaderElection[] = [];
  const closers: Array<() => Promise<void> | void> = [];

  const replicaDb = () => {
    const db = new ReplicaDb(database.url);
    dbs.push(db);
    return db;
  };
  /** An election with its own ReplicaDb, recording who became leader and why it lost. */
  const election = (holder: string, opts: { settings?: ElectionSettings; db?: ReplicaDb; monotonic?: () => number } = {}) => {
    const log = new RecordingLog();
    const e = new LeaderElection(opts.db ?? replicaDb(), holder, opts.settings ?? SMALL, log, Date.now, opts.monotonic);
    elections.push(e);
    const led: FenceToken[] = [];
    const lost: string[] = [];
    e.onLeader((t) => led.push(t));
    e.onLost((why) => lost.push(why));
    return { e, led, lost, log };
  };

  beforeAll(async () => {
    server = await usePostgres();
    database = replicaDatabase(server, 'election');
  });
  beforeEach(async () => {
    await clearReplicaTables(database.url);
  });
  afterEach(async () => {
    // Stopped without releasing: a released lease would notify, and the next test starts from an empty table anyway.
    await Promise.all(elections.splice(0).map((e) => e.stop({ release: false })));
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(dbs.splice(0).map((db) => db.close()));
  });
  afterAll(async () => {
    database?.drop();
    await server?.stop();
  });

  it('of two replicas exactly one leads, and keeps leading through its renewals', async () => {
    const a = election('replica-a');
    const b = election('replica-b');
    a.e.start();
    b.e.start();
    await waitUntil('a leader', () => a.e.role === 'leader' || b.e.role === 'leader');
    // Several renewals and polls later it is still the same one, and the other still follows.
    await sleep(4 * SMALL.renewEveryMs);
    const roles = [a.e.role, b.e.role].sort();
    expect(roles).toEqual(['follower', 'leader']);
    const [leader, follower] = a.e.role === 'leader' ? [a, b] : [b, a];
    expect(leader.led).toEqual([{ holder: leader.e.holder, epoch: 1 }]);
    expect(leader.e.token).toEqual({ holder: leader.e.holder, epoch: 1 });
    expect(follower.led).toEqual([]);
    expect(follower.e.token).toBeNull();
    expect(leader.lost).toEqual([]);
    expect(leader.e.assertLeading()).toEqual({ holder: leader.e.holder, epoch: 1 });
    expect(thrown(() => follower.e.assertLeading())).toMatchObject({ code: 'leader_fenced' });
    const lease = await dbs[0]!.lease();
    expect(lease).toMatchObject({ holder: leader.e.holder, epoch: 1 });
    // Renewed: the lease has (nearly) a whole TTL left, not what is left of the first one.
    expect(lease!.leftMs).toBeGreaterThan(SMALL.leaseTtlMs - 2 * SMALL.renewEveryMs - 100);
  });

  it('a leader stopping with release hands over: the other leads with a higher epoch', async () => {
    const a = election('replica-a');
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    const b = election('replica-b');
    b.e.start();
    await sleep(3 * SMALL.pollEveryMs);
    expect(b.e.role).toBe('follower');

    await a.e.stop({ release: true });
    expect(a.e.role).toBe('stopped');
    expect(thrown(() => a.e.assertLeading())).toMatchObject({ code: 'leader_fenced' });
    await waitUntil('b to lead', () => b.led.length === 1);
    expect(b.led[0]!.holder).toBe('replica-b');
    expect(b.led[0]!.epoch).toBeGreaterThan(a.led[0]!.epoch);
    expect(b.e.role).toBe('leader');
    // A stop is not a loss.
    expect(a.lost).toEqual([]);
    expect(a.log.messages('info')).toContain('leader lease released');
  });

  it('release wakes a follower through NOTIFY: it takes over at once, not at its next poll or the expiry', async () => {
    // Polls and TTL far beyond the test: only the notice can make b lead.
    const slow: ElectionSettings = { leaseTtlMs: 60_000, renewEveryMs: 20_000, pollEveryMs: 60_000 };
    const a = election('replica-a', { settings: slow });
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    const b = election('replica-b', { settings: slow });
    const listener = replicaDb().listen(
      (channel) => {
        if (channel === CHANNELS.lease) b.e.wake();
      },
      () => undefined,
    );
    closers.push(() => listener.close());
    b.e.start();
    await waitUntil('the LISTEN to be in place', () => listening(database.url));
    await sleep(100);
    expect(b.e.role).toBe('follower');
    await a.e.stop({ release: true });
    await waitUntil('b to lead', () => b.e.role === 'leader');
    expect(b.led).toEqual([{ holder: 'replica-b', epoch: 2 }]);
  });

  it('a leader whose own clock passed its deadline fences itself: assertLeading throws leader_fenced, onLost fires once', async () => {
    let mono = 1_000;
    const a = election('replica-a', { monotonic: () => mono });
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    expect(a.e.assertLeading()).toEqual({ holder: 'replica-a', epoch: 1 });
    // The clock jumps (a pause, a long GC): no renewal came back since, so it must not act.
    mono += SMALL.leaseTtlMs;
    const err = thrown(() => a.e.assertLeading());
    expect(err).toBeInstanceOf(FaultlineError);
    expect(err).toMatchObject({ code: 'leader_fenced', details: { epoch: 1 } });
    expect(a.e.role).toBe('lost');
    expect(a.lost).toEqual(['its lease ran out before it could renew it']);
    // Asking again throws again, but the loss is told once.
    expect(isFaultlineError(thrown(() => a.e.assertLeading()), 'leader_fenced')).toBe(true);
    a.e.lose('again');
    await sleep(3 * SMALL.renewEveryMs);
    expect(a.lost).toHaveLength(1);
    expect(a.log.messages('error')).toEqual(['leadership lost']);
    // A lost replica renews no more and tries for the lease no more: its lease runs out by itself.
    expect(a.e.role).toBe('lost');
    await waitUntil('the lease to expire', async () => (await dbs[0]!.lease())!.leftMs === 0);
    expect(await dbs[0]!.lease()).toMatchObject({ holder: 'replica-a', epoch: 1 });
  });

  it('a clock just short of the deadline still leads; the margin keeps it short of the TTL', async () => {
    let mono = 0;
    const a = election('replica-a', { monotonic: () => mono, settings: { ...SMALL, renewEveryMs: 60_000 } });
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    // Deadline = sent-at + TTL − margin (TTL/10 here): 539 leads, 540 does not.
    mono = SMALL.leaseTtlMs - SMALL.leaseTtlMs / 10 - 1;
    expect(a.e.assertLeading().epoch).toBe(1);
    mono += 1;
    expect(thrown(() => a.e.assertLeading())).toMatchObject({ code: 'leader_fenced' });
    expect(a.lost).toHaveLength(1);
  });

  it('a leader that cannot renew is fenced by its own clock before another replica can take over', async () => {
    const ownDb = new ReplicaDb(database.url);
    dbs.push(ownDb);
    const a = election('replica-a', { db: ownDb });
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    const b = election('replica-b');
    let bLedWhenALost: boolean | undefined;
    a.e.onLost(() => (bLedWhenALost = b.e.role === 'leader'));
    b.e.start();
    await ownDb.close(); // every renewal fails from now on
    // Asked as every effect asks (and the watchdog may tell it first).
    await waitUntil('a to lose', () => {
      if (a.e.role === 'leader') thrown(() => a.e.assertLeading());
      return a.lost.length === 1;
    });
    expect(a.lost).toEqual(['its lease ran out before it could renew it']);
    expect(bLedWhenALost).toBe(false);
    expect(a.log.messages('warn')).toContain('renewing the leader lease failed');
    await waitUntil('b to lead', () => b.e.role === 'leader');
    expect(b.led).toEqual([{ holder: 'replica-b', epoch: 2 }]);
  });

  it('a leader whose renewals fail loses by itself once its clock passes the deadline, even if its watchdog timer fired a moment early', async () => {
    // Node's timers and performance.now() are different clocks: a timeout can fire a little before the
    // monotonic deadline it was set for. Here the monotonic clock stands still while the timer runs out.
    let mono = 0;
    const ownDb = new ReplicaDb(database.url);
    dbs.push(ownDb);
    const a = election('replica-a', { db: ownDb, monotonic: () => mono });
    a.e.start();
    await waitUntil('a to lead', () => a.e.role === 'leader');
    await ownDb.close(); // renewals fail from now on
    await sleep(SMALL.leaseTtlMs + 200); // the watchdog set at the last renewal has fired (too early by this clock)
    expect(a.e.role).toBe('leader');
    mono = 10 * SMALL.leaseTtlMs; // now the deadline has passed by its clock too
    // Nobody calls assertLeading: the election itself (watchdog, failed renewals) must see it.
    await waitUntil('a to lose by itself', () => a.lost.length === 1, 3_000);
    expect(a.e.role).toBe('lost');
  });

  it('a replica stopped while its acquire is on its way leaves no lease behind for the others to wait out', async () => {
    const db = replicaDb();
    // A TTL far beyond the test: only a release can free the lease in time.
    const a = election('replica-a', { db, settings: { leaseTtlMs: 60_000, renewEveryMs: 20_000, pollEveryMs: 60_000 } });
    // Hold the acquire back until stop() has been called, as a slow database would.
    const acquire = db.acquire.bind(db);
    let sent: () => void = () => undefined;
    const onItsWay = new Promise<void>((r) => (sent = r));
    let letGo: () => void = () => undefined;
    const gate = new Promise<void>((r) => (letGo = r));
    let answered: Promise<number | null> | undefined;
    db.acquire = (holder, ttlMs, now) => {
      answered = gate.then(() => acquire(holder, ttlMs, now));
      sent();
      return answered;
    };
    a.e.start();
    await onItsWay;
    const stopping = a.e.stop({ release: true });
    letGo();
    await stopping;
    expect(await answered).toBe(1); // the database gave it the lease
    expect(a.e.role).toBe('stopped');
    expect(a.led).toEqual([]);
    // Nobody acts on that lease; another replica must be able to take over now, not after the TTL.
    await waitUntil('the lease to be let go', async () => (await db.lease())?.leftMs === 0, 2_000);
    expect(await replicaDb().acquire('replica-b', 60_000, Date.now())).toBe(2);
  });

  describe('leaderFence', () => {
    let store: Store;
    beforeEach(() => {
      store = openStore({ url: database.url });
      closers.push(() => store.close());
    });

    it('passes while the lease is held; throws leader_fenced and loses when the store says another replica holds it', async () => {
      // A frozen clock: a's own deadline never passes, so only the store can tell it that it lost.
      const aDb = new ReplicaDb(database.url);
      dbs.push(aDb);
      const a = election('replica-a', { db: aDb, monotonic: () => 0 });
      a.e.start();
      await waitUntil('a to lead', () => a.e.role === 'leader');
      const fence = leaderFence(a.e, store.leases);
      expect(() => fence.assert()).not.toThrow();

      await aDb.close(); // a's renewals fail; its lease expires on the server
      const b = election('replica-b');
      b.e.start();
      await waitUntil('b to lead', () => b.e.role === 'leader');
      expect(a.e.role).toBe('leader'); // by its own (frozen) clock it still leads

      const err = thrown(() => fence.assert());
      expect(err).toMatchObject({ code: 'leader_fenced', details: { epoch: 1 } });
      expect(a.e.role).toBe('lost');
      expect(a.lost).toEqual(['the store says another replica holds the lease']);
      expect(thrown(() => fence.assert())).toMatchObject({ code: 'leader_fenced' });
      expect(a.lost).toHaveLength(1);
      // The new leader's fence passes.
      expect(() => leaderFence(b.e, store.leases).assert()).not.toThrow();
    });

    it("a leader past its own deadline is fenced without asking the store", async () => {
      let mono = 0;
      const a = election('replica-a', { monotonic: () => mono });
      a.e.start();
      await waitUntil('a to lead', () => a.e.role === 'leader');
      const asked: FenceToken[] = [];
      const leases: Pick<LeaderLeases, 'holds'> = {
        holds: (t) => {
          asked.push(t);
          return true;
        },
      };
      const fence = leaderFence(a.e, leases);
      fence.assert();
      expect(asked).toEqual([{ holder: 'replica-a', epoch: 1 }]);
      mono = 10_000;
      expect(thrown(() => fence.assert())).toMatchObject({ code: 'leader_fenced' });
      expect(asked).toHaveLength(1);
      expect(a.lost).toEqual(['its lease ran out before it could renew it']);
    });

    it('a follower is fenced', () => {
      const a = election('replica-a');
      expect(thrown(() => leaderFence(a.e, store.leases).assert())).toMatchObject({ code: 'leader_fenced' });
      expect(a.lost).toEqual([]);
    });
  });
});

/** A driver with private state (#fields): reached through `this`, which a fenced proxy must keep. */
class PrivateDriver implements TargetDriver {
  readonly kind = 'private';
  readonly faultTypes = ['pause', 'kill'] as const;
  readonly schemas = { target: z.object({}).passthrough(), fault: z.object({}).passthrough() };
  readonly #calls: string[] = [];
  readonly #owned: FaultHandle[] = [];

  get calls(): readonly string[] {
    return this.#calls;
  }

  get label(): string {
    return `${this.kind} with ${this.#owned.length} owned`;
  }

  preview(_target: TargetSpec, _ctx: DiscoverContext): Promise<ResolvedTarget[]> {
    this.#calls.push('preview');
    return Promise.resolve([{ id: 't1', name: 't1', kind: 'thing', attributes: {} }]);
  }

  inject(fault: FaultSpec, targets: ResolvedTarget[], ctx: TargetContext): Promise<FaultHandle> {
    this.#calls.push('inject');
    const handle: FaultHandle = { handleId: ctx.handleId, experimentId: ctx.experimentId, adapter: this.kind, faultType: 'pause', targets, appliedAt: 1, expiresAt: ctx.expiresAt, data: { fault } };
    this.#owned.push(handle);
    return Promise.resolve(handle);
  }

  revert(handle: FaultHandle, _ctx: DiscoverContext): Promise<void> {
    this.#calls.push('revert');
    const i = this.#owned.findIndex((h) => h.handleId === handle.handleId);
    if (i >= 0) this.#owned.splice(i, 1);
    return Promise.resolve();
  }

  listOwned(_ctx: DiscoverContext): Promise<FaultHandle[]> {
    this.#calls.push('listOwned');
    return Promise.resolve([...this.#owned]);
  }

  confirmReverted(handle: FaultHandle, _ctx: DiscoverContext): Promise<RevertReceipt> {
    this.#calls.push('confirmReverted');
    const there = this.#owned.some((h) => h.handleId === handle.handleId);
    return Promise.resolve({ confirmed: !there, differences: there ? [handle.handleId] : [], manualSteps: [] });
  }
}

describe('fencedTargets', () => {
  const log = new RecordingLog();
  const ctx: TargetContext = { experimentId: 'exp-1', handleId: 'h-1', expiresAt: 99, now: () => 1, log, note: () => undefined };
  const fault = { type: 'pause' } as unknown as FaultSpec;
  const target = { adapter: 'private' } as unknown as TargetSpec;

  function setup() {
    const driver = new PrivateDriver();
    let leading = true;
    let asserts = 0;
    const fence: Fence = {
      assert() {
        asserts++;
        if (!leading) throw new FaultlineError('leader_fenced', 'this replica does not lead');
      },
    };
    const fenced = fencedTargets(new Map<string, TargetDriver>([['private', driver]]), fence).get('private')!;
    return { driver, fenced, fence: { lose: () => (leading = false), asserts: () => asserts } };
  }

  /** A call's outcome, whether it threw synchronously or rejected. */
  const settle = <T>(call: () => Promise<T>): Promise<T> => Promise.resolve().then(call);

  it('while leading, inject and revert reach the driver with its private state', async () => {
    const { driver, fenced, fence } = setup();
    const handle = await fenced.inject(fault, [{ id: 't1', name: 't1', kind: 'thing', attributes: {} }], ctx);
    expect(handle).toMatchObject({ handleId: 'h-1', adapter: 'private' });
    expect(await fenced.listOwned({ log })).toEqual([handle]);
    await fenced.revert(handle, { log });
    expect(await fenced.listOwned({ log })).toEqual([]);
    expect(driver.calls).toEqual(['inject', 'listOwned', 'revert', 'listOwned']);
    expect(fence.asserts()).toBe(2);
  });

  it('once fenced, inject and revert are refused with leader_fenced and never reach the driver', async () => {
    const { driver, fenced, fence } = setup();
    const handle = await fenced.inject(fault, [], ctx);
    fence.lose();
    await expect(settle(() => fenced.inject(fault, [], { ...ctx, handleId: 'h-2' }))).rejects.toMatchObject({ code: 'leader_fenced' });
    await expect(settle(() => fenced.revert(handle, { log }))).rejects.toMatchObject({ code: 'leader_fenced' });
    expect(driver.calls).toEqual(['inject']);
    // The fault it held stays as it was: the new leader reverts it.
    expect(await fenced.listOwned({ log })).toEqual([handle]);
  });

  it('a fenced inject or revert rejects its promise instead of throwing synchronously (TargetDriver returns promises)', () => {
    const { fenced, fence } = setup();
    fence.lose();
    const handle = { handleId: 'h-1' } as FaultHandle;
    // A caller such as withDeadline calls the driver and only then handles the promise: a synchronous
    // throw skips its clean-up (its timer stays armed and rejects, unhandled, later).
    let injected: Promise<unknown> | undefined;
    let reverted: Promise<unknown> | undefined;
    expect(() => (injected = fenced.inject(fault, [], ctx))).not.toThrow();
    expect(() => (reverted = fenced.revert(handle, { log }))).not.toThrow();
    return Promise.all([expect(injected).rejects.toMatchObject({ code: 'leader_fenced' }), expect(reverted).rejects.toMatchObject({ code: 'leader_fenced' })]);
  });

  it('everything else passes through, fenced or not, with `this` intact', async () => {
    const { driver, fenced, fence } = setup();
    fence.lose();
    expect(fenced.kind).toBe('private');
    expect(fenced.faultTypes).toEqual(['pause', 'kill']);
    expect(fenced.schemas).toBe(driver.schemas);
    expect((fenced as PrivateDriver).label).toBe('private with 0 owned');
    expect(await fenced.preview(target, { log })).toEqual([{ id: 't1', name: 't1', kind: 'thing', attributes: {} }]);
    expect(await fenced.listOwned({ log })).toEqual([]);
    expect(await fenced.confirmReverted({ handleId: 'x' } as FaultHandle, { log })).toEqual({ confirmed: true, differences: [], manualSteps: [] });
    // Optional methods the driver lacks stay absent (callers test for them).
    expect(fenced.describeTarget).toBeUndefined();
    expect(fenced.close).toBeUndefined();
    // A method taken off the proxy and called alone still has its driver.
    const { preview } = fenced;
    await expect(preview(target, { log })).resolves.toHaveLength(1);
    expect(driver.calls).toEqual(['preview', 'listOwned', 'confirmReverted', 'preview']);
    expect(fence.asserts()).toBe(0);
  });

  it('every driver of the map is fenced, under its own kind', () => {
    const a = new PrivateDriver();
    const b = new PrivateDriver();
    const out = fencedTargets(
      new Map<string, TargetDriver>([
        ['a', a],
        ['b', b],
      ]),
      { assert: () => undefined },
    );
    expect([...out.keys()]).toEqual(['a', 'b']);
    expect(out.get('a')).not.toBe(a);
  });
});
