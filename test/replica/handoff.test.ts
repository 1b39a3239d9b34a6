import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommandGateway } from '../../commands/command-gateway.js';
import { HandoffConsumer } from '../../src/app/replica/handoff-consumer.js';
import { HandoffGateway, type Handoff } from '../../src/app/replica/handoff-gateway.js';
import type { Actor } from '../../src/core/actor.js';
import { errorMessage, message, type Message } from '../../src/core/message.js';
import type { FenceToken } from '../../src/store/leases.js';
import { CHANNELS, ReplicaDb } from '../../src/store/postgres/replica-db.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { usePostgres, type PostgresServer } from '../support/postgres.js';
import { clearReplicaTables, deadPort, listening, replicaDatabase, sleep, sql, waitUntil } from './replica-support.js';

interface Call {
  line: string;
  actor: Actor;
  channel: string;
  urgent: boolean;
}

/** The leader's commands: records each call and answers with a message naming the line. */
class FakeCommands implements CommandGateway {
  readonly calls: Call[] = [];
  delayMs = 0;
  failWith: Error | null = null;

  async run(line: string, actor: Actor, channel: string, opts: { urgent: boolean }): Promise<Message> {
    this.calls.push({ line, actor, channel, urgent: opts.urgent });
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failWith) throw this.failWith;
    if (line.startsWith('bad')) return errorMessage('command_unknown', `no such command: ${line}`, ['try /chaos help']);
    return FakeCommands.answer(line);
  }

  static answer(line: string): Message {
    return message({ title: `ran ${line}`, tone: 'success', fields: [{ label: 'line', value: line }], sections: [`done: ${line}`] });
  }
}

const ALICE: Actor = { id: 'UALICE', name: 'alice', team: 'T1' };

describe('command hand-over from a follower to the leader', () => {
  let server: PostgresServer;
  let database: { url: string; drop(): void };
  const dbs: ReplicaDb[] = [];
  const closers: Array<() => Promise<void>> = [];

  const replicaDb = (url = database.url) => {
    const db = new ReplicaDb(url);
    dbs.push(db);
    return db;
  };

  /** A leader holding the lease, its consumer running (woken by NOTIFY as ReplicaNode wires it). */
  async function leader(opts: { staleMs?: number; commands?: FakeCommands; listen?: boolean } = {}) {
    const db = replicaDb();
    const log = new RecordingLog();
    const commands = opts.commands ?? new FakeCommands();
    const epoch = await db.acquire('leader', 60_000, Date.now());
    const token: FenceToken = { holder: 'leader', epoch: epoch ?? (await db.lease())!.epoch };
    const homes: string[] = [];
    const consumer = new HandoffConsumer({ db, token, commands, homeOpened: (u) => homes.push(u), log, staleMs: opts.staleMs ?? 60_000 });
    closers.push(() => consumer.stop());
    if (opts.listen !== false) {
      const listener = db.listen(
        (channel) => {
          if (channel === CHANNELS.commands) consumer.wake();
        },
        () => undefined,
      );
      closers.push(() => listener.close());
    }
    return { db, log, commands, token, homes, consumer };
  }

  /** A follower's gateway, told of answers by NOTIFY. */
  function follower(settings: { waitMs: number; leaseTtlMs?: number }, url = database.url) {
    const db = replicaDb(url);
    const log = new RecordingLog();
    const gateway = new HandoffGateway(db, { waitMs: settings.waitMs, leaseTtlMs: settings.leaseTtlMs ?? 15_000 }, log);
    const listener = db.listen(
      (channel, payload) => {
        if (channel === CHANNELS.replies) gateway.replied(Number(payload));
      },
      () => undefined,
    );
    closers.push(() => listener.close());
    return { db, log, gateway };
  }

  const handoffs = () => sql<{ id: string; state: string; urgent: boolean }>(database.url, 'SELECT id, state, urgent FROM command_handoffs ORDER BY id');

  beforeAll(async () => {
    server = await usePostgres();
    database = replicaDatabase(server, 'handoff');
  });
  beforeEach(async () => {
    await clearReplicaTables(database.url);
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(dbs.splice(0).map((db) => db.close()));
  });
  afterAll(async () => {
    database?.drop();
    await server?.stop();
  });

  it('a command handed over is run by the leader exactly once, and the follower returns its answer', async () => {
    const l = await leader();
    const f = follower({ waitMs: 10_000 });
    l.consumer.start();
    await waitUntil('both LISTENs', () => listening(database.url, 2));

    const reply = await f.gateway.run('status exp-1', ALICE, 'C1', { urgent: false });
    expect(reply).toEqual(FakeCommands.answer('status exp-1'));
    expect(l.commands.calls).toEqual([{ line: 'status exp-1', actor: ALICE, channel: 'C1', urgent: false }]);
    // Woken again (a late notice, the poll): nothing more is run.
    l.consumer.wake();
    l.consumer.wake();
    await sleep(200);
    l.consumer.wake();
    await sleep(100);
    expect(l.commands.calls).toHaveLength(1);
    expect((await handoffs()).map((r) => r.state)).toEqual(['done']);
    expect(l.log.messages('info')).toContain('handed-over command answered');
  });

  it('commands queued one after the other run in that order, each after the one before ends; an abort does not wait', async () => {
    const l = await leader();
    const f = follower({ waitMs: 10_000 });
    // The first is slow and the second quick: run side by side, the second would end first.
    const inner = l.commands.run.bind(l.commands);
    l.commands.run = async (line, actor, channel, opts) => {
      if (line.startsWith('approve')) await sleep(400);
      return inner(line, actor, channel, opts);
    };
    const ended: string[] = [];
    const runAndNote = (line: string, urgent: boolean) => f.gateway.run(line, ALICE, 'C1', { urgent }).then(() => ended.push(line));
    // Queued before the leader looks: it takes all three at once.
    const approve = runAndNote('approve exp-1', false);
    await sleep(50);
    const start = runAndNote('start exp-1', false);
    await sleep(50);
    const abort = runAndNote('abort exp-1', true);
    await sleep(50);
    l.consumer.start();
    await Promise.all([approve, start, abort]);
    expect(ended.indexOf('approve exp-1')).toBeLessThan(ended.indexOf('start exp-1'));
    // The abort ran beside the approve, not after the start.
    expect(ended.indexOf('abort exp-1')).toBeLessThan(ended.indexOf('start exp-1'));
    expect(l.commands.calls.map((c) => c.line).filter((x) => x !== 'abort exp-1')).toEqual(['approve exp-1', 'start exp-1']);
  });

  it('a refusal from the leader comes back as it was, and an urgent command is run as urgent', async () => {
    const l = await leader();
    const f = follower({ waitMs: 10_000 });
    l.consumer.start();
    const refused = await f.gateway.run('bad thing', ALICE, 'C1', { urgent: false });
    expect(refused).toEqual(errorMessage('command_unknown', 'no such command: bad thing', ['try /chaos help']));
    const aborted = await f.gateway.run('abort exp-1', ALICE, 'C2', { urgent: true });
    expect(aborted.title).toBe('ran abort exp-1');
    expect(l.commands.calls.map((c) => [c.line, c.urgent])).toEqual([
      ['bad thing', false],
      ['abort exp-1', true],
    ]);
  });

  it('many commands from two followers at once, two consumers on the lease: each runs once and gets its own answer', async () => {
    const commands = new FakeCommands();
    commands.delayMs = 20;
    const l1 = await leader({ commands });
    const l2 = await leader({ commands });
    const f1 = follower({ waitMs: 10_000 });
    const f2 = follower({ waitMs: 10_000 });
    l1.consumer.start();
    l2.consumer.start();
    const lines = Array.from({ length: 12 }, (_, i) => `status exp-${i}`);
    const replies = await Promise.all(lines.map((line, i) => (i % 2 ? f1 : f2).gateway.run(line, ALICE, 'C1', { urgent: i % 5 === 0 })));
    expect(replies.map((r) => r.title)).toEqual(lines.map((l) => `ran ${l}`));
    expect(commands.calls.map((c) => c.line).sort()).toEqual([...lines].sort());
    expect((await handoffs()).every((r) => r.state === 'done')).toBe(true);
  });

  it('with no leader, a command that is not urgent is withdrawn after waitMs and the follower says no replica leads', async () => {
    const f = follower({ waitMs: 300, leaseTtlMs: 15_000 });
    const reply = await f.gateway.run('start chaos.yaml', ALICE, 'C1', { urgent: false });
    expect(reply.errorCode).toBe('replica_unavailable');
    expect(reply.title).toMatch(/no replica is leading/);
    expect(reply.sections.join(' ')).toMatch(/withdrawn and nothing was done/);
    expect(reply.ephemeral).toBe(true);
    expect(await handoffs()).toEqual([expect.objectContaining({ state: 'abandoned', urgent: false })]);
    // A leader that comes later does not run it.
    const l = await leader();
    l.consumer.start();
    await sleep(200);
    expect(l.commands.calls).toEqual([]);
  });

  it('with no leader, an urgent command is not withdrawn: it stays queued and the next leader runs it', async () => {
    const f = follower({ waitMs: 250 });
    const reply = await f.gateway.run('abort exp-1', ALICE, 'C1', { urgent: true });
    expect(reply.errorCode).toBe('replica_unavailable');
    expect(reply.title).toBe('Your command is queued for the leader');
    expect(await handoffs()).toEqual([expect.objectContaining({ state: 'pending', urgent: true })]);

    const l = await leader({ staleMs: 1 });
    l.consumer.start();
    await waitUntil('the next leader to run it', () => l.commands.calls.length === 1);
    expect(l.commands.calls[0]).toMatchObject({ line: 'abort exp-1', urgent: true });
    await waitUntil('the answer to be stored', async () => (await handoffs())[0]!.state === 'done');
  });

  it('a follower whose database is not there answers replica_unavailable naming the database, without throwing', async () => {
    const port = await deadPort();
    const f = follower({ waitMs: 5_000 }, `postgres://faultline@127.0.0.1:${port}/faultline`);
    const reply = await f.gateway.run('status', ALICE, 'C1', { urgent: false });
    expect(reply.errorCode).toBe('replica_unavailable');
    expect(reply.title).toMatch(/can't reach its database/);
    expect(reply.sections.join(' ')).toMatch(/Nothing was done/);
    expect(reply.sections.join(' ')).toContain(`127.0.0.1:${port}`);
    expect(f.log.messages('error')).toEqual(['handing a command to the leader failed: database unreachable']);
    const urgent = await f.gateway.run('abort exp-1', ALICE, 'C1', { urgent: true });
    expect(urgent.errorCode).toBe('replica_unavailable');
    // The home tab, handed over in the background, only logs.
    f.gateway.homeOpened('UALICE');
    await waitUntil('the home hand-over to fail', () => f.log.messages('warn').includes('handing the home tab to the leader failed'));
  });

  it('a stale command that is not urgent is answered as too late without being run; a stale urgent one is run', async () => {
    const l = await leader({ staleMs: 1_000, listen: false });
    const f = follower({ waitMs: 10_000 });
    const old = Date.now() - 10 * 60_000;
    const late: Handoff = { kind: 'command', line: 'start old.yaml', actor: ALICE, channel: 'C1' };
    const lateId = await f.db.submit(late, false, old);
    const abort: Handoff = { kind: 'command', line: 'abort exp-1', actor: ALICE, channel: 'C1' };
    const abortId = await f.db.submit(abort, true, old);
    l.consumer.start();
    await waitUntil('both answered', async () => (await handoffs()).every((r) => r.state === 'done'));
    const lateReply = (await f.db.reply(lateId))!.reply as Message;
    expect(lateReply).toMatchObject({ errorCode: 'replica_unavailable', title: "Your command wasn't taken: it reached the leader too late" });
    expect((await f.db.reply(abortId))!.reply).toEqual(FakeCommands.answer('abort exp-1'));
    expect(l.commands.calls.map((c) => c.line)).toEqual(['abort exp-1']);
  });

  it('an unreadable hand-over is answered as refused, not thrown, and the next one is still run', async () => {
    const l = await leader({ listen: false });
    const f = follower({ waitMs: 10_000 });
    const junk = await f.db.submit({ kind: 'launch_missiles', line: 'x' }, false, Date.now());
    const empty = await f.db.submit({ kind: 'command', line: '', actor: ALICE, channel: 'C1' }, true, Date.now());
    const text = await f.db.submit('just a string', false, Date.now());
    l.consumer.start();
    const reply = await f.gateway.run('status', ALICE, 'C1', { urgent: false });
    expect(reply.title).toBe('ran status');
    for (const id of [junk, empty, text]) {
      const row = await f.db.reply(id);
      expect(row).toMatchObject({ state: 'done', reply: { errorCode: 'replica_unavailable', title: 'The leader could not read your command' } });
    }
    expect(l.commands.calls.map((c) => c.line)).toEqual(['status']);
    expect(l.log.messages('warn').filter((m) => m.includes('unreadable form'))).toHaveLength(3);
  });

  it('a command that throws on the leader is answered with the failure, and the consumer goes on', async () => {
    const commands = new FakeCommands();
    commands.failWith = new Error('engine exploded');
    const l = await leader({ commands });
    const f = follower({ waitMs: 10_000 });
    l.consumer.start();
    const reply = await f.gateway.run('status', ALICE, 'C1', { urgent: false });
    expect(reply).toMatchObject({ errorCode: 'replica_unavailable', title: 'The leader failed to run your command', sections: ['engine exploded'] });
    commands.failWith = null;
    expect((await f.gateway.run('status', ALICE, 'C1', { urgent: false })).title).toBe('ran status');
  });

  it('an answer the follower cannot read is reported as such', async () => {
    const l = await leader({ listen: false });
    const f = follower({ waitMs: 10_000 });
    const running = f.gateway.run('status', ALICE, 'C1', { urgent: false });
    await waitUntil('the hand-over to be queued', async () => (await handoffs()).length === 1);
    const row = await l.db.take(l.token);
    await l.db.complete(row!.id, { tone: 'ultraviolet', fields: 'none' });
    const reply = await running;
    expect(reply).toMatchObject({ errorCode: 'replica_unavailable', title: 'The leader answered in a form this replica does not read' });
  });

  it('the App Home opened on a follower is published by the leader', async () => {
    const l = await leader();
    const f = follower({ waitMs: 10_000 });
    l.consumer.start();
    await waitUntil('the LISTENs', () => listening(database.url, 2));
    f.gateway.homeOpened('UBOB');
    await waitUntil('the leader to publish the home', () => l.homes.length === 1);
    expect(l.homes).toEqual(['UBOB']);
    expect(l.commands.calls).toEqual([]);
  });

  it('a consumer whose lease another replica took takes nothing', async () => {
    const l = await leader({ listen: false });
    // Another replica takes over: the lease expires and is acquired with a new epoch.
    await l.db.release(l.token);
    const next = replicaDb();
    expect(await next.acquire('next', 60_000, Date.now())).toBe(l.token.epoch + 1);
    const f = follower({ waitMs: 300 });
    l.consumer.start();
    const reply = await f.gateway.run('status', ALICE, 'C1', { urgent: false });
    expect(reply.title).toMatch(/no replica is leading/);
    expect(l.commands.calls).toEqual([]);
  });

  it('stop waits for the commands in flight and takes nothing afterwards', async () => {
    const commands = new FakeCommands();
    commands.delayMs = 300;
    const l = await leader({ commands, listen: false });
    const f = follower({ waitMs: 10_000 });
    const id = await f.db.submit({ kind: 'command', line: 'slow', actor: ALICE, channel: 'C1' } satisfies Handoff, false, Date.now());
    l.consumer.start();
    await waitUntil('the command to start', () => commands.calls.length === 1);
    await l.consumer.stop();
    expect(await f.db.reply(id)).toEqual({ state: 'done', reply: FakeCommands.answer('slow') });
    await f.db.submit({ kind: 'command', line: 'after stop', actor: ALICE, channel: 'C1' } satisfies Handoff, false, Date.now());
    l.consumer.wake();
    await sleep(200);
    expect(commands.calls.map((c) => c.line)).toEqual(['slow']);
  });
});
