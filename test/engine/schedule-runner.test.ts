import { describe, expect, it } from 'vitest';
import { pickCandidate } from '../../src/core/schedule.js';
import { fireSlot } from '../../src/engine/schedules/schedule-fire.js';
import { LAST_TICK_KEY } from '../../src/engine/schedules/schedule-runner.js';
import { alice, bob, carol, engineFactory } from './engine-harness.js';
import { DAY, FakeGameDays, HOUR, MIN, scheduling, surroundings, T0 } from './schedule-harness.js';

const engine = engineFactory();
const hourly = (names = 'web-latency', extra: Partial<Parameters<ReturnType<typeof scheduling>['book']['add']>[0]> = {}) => ({ names: names.split(','), cron: '0 * * * *', channel: '#chaos', ...extra });

describe('a schedule fires on its slot', () => {
  it('proposes through the service as its creator with the schedule origin, journals the choice, and waits for a person', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    expect(await s.tickAt(T0 - 30 * MIN)).toEqual([]);
    const [fired] = await s.tickAt(T0 + 5_000);
    expect(fired).toMatchObject({ scheduleId: sch.id, slot: T0, outcome: 'fired', choice: 'web-latency' });
    const exp = s.e.service.get(fired!.experimentId!).record;
    expect(exp).toMatchObject({ state: 'proposed', scheduleId: sch.id, channel: '#chaos', proposedBy: { id: 'alice', name: `Alice via schedule ${sch.id}` } });
    expect(s.runs(sch.id)).toEqual([{ scheduleId: sch.id, slot: T0, at: T0 + 5_000, outcome: 'fired', data: expect.objectContaining({ experimentId: exp.id, started: false, choice: 'web-latency' }) }]);
    const journaled = s.e.store.events({ kinds: ['schedule-fired'] });
    expect(journaled).toHaveLength(1);
    expect(journaled[0]!.data).toMatchObject({ scheduleId: sch.id, slot: T0, index: 0, of: 1, rotate: 'random', seed: sch.seed });
    expect(s.e.store.journal(exp.id).find((ev) => ev.kind === 'proposed')?.data).toMatchObject({ scheduleId: sch.id });
    await s.e.engine.runner.settle();
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain(`Schedule ${sch.id} proposed ${exp.id}: web-latency`);
    expect(s.chatText()).toContain('no standing approval');
    // The normal flow still works: a second person approves, anyone starts.
    await expect(s.e.service.approve(exp.id, alice)).rejects.toMatchObject({ code: 'approval_self' });
    await s.e.service.approve(exp.id, bob);
  });
});

describe('a damaged schedule row', () => {
  it('is logged and left out; the other schedules still fire', async () => {
    const s = scheduling(engine);
    s.e.store.schedules.save({ id: 'sch-bad000', name: 'x', state: 'active', updatedAt: T0 - HOUR, data: { id: 'sch-bad000', cron: 42 } });
    const good = s.book.add(hourly(), alice);
    expect((await s.tickAt(T0 + 1_000)).map((r) => [r.scheduleId, r.outcome])).toEqual([[good.id, 'fired']]);
    expect(s.e.log.lines.find((l) => l.msg === 'schedule row is invalid; skipped')?.obj).toMatchObject({ scheduleId: 'sch-bad000', problem: expect.stringContaining('cron') });
  });
});

describe('a slot fires at most once', () => {
  it('ticking twice in the minute, or a restart in that minute (even one that lost the last tick), fires nothing more', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    expect((await s.tickAt(T0 + 1_000)).map((r) => r.outcome)).toEqual(['fired']);
    expect(await s.tickAt(T0 + 20_000)).toEqual([]);
    const again = s.restart();
    expect(await again.tickAt(T0 + 40_000)).toEqual([]);
    again.e.store.settings.set(LAST_TICK_KEY, undefined); // as if it crashed between firing and noting the tick
    again.e.service.reject(again.runs(sch.id)[0]!.data.experimentId as string, bob, 'not today'); // and nothing else holds the target
    expect(await again.tickAt(T0 + 50_000)).toEqual([]);
    expect(again.e.service.list().filter((x) => x.record.scheduleId === sch.id)).toHaveLength(1);
    expect(again.runs(sch.id)).toHaveLength(1);
    expect(again.e.store.events({ kinds: ['schedule-fired', 'schedule-skipped'] })).toHaveLength(1);
  });

  it('the claim alone holds: a second process acting on the same slot proposes nothing', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    const { approvers: _approvers, ...parts } = surroundings(s.e);
    const deps = { ...parts, store: s.e.store, book: s.book, log: s.e.log };
    const first = await fireSlot(deps, sch, T0, T0 + 1_000, false);
    expect(first).toMatchObject({ outcome: 'fired' });
    s.e.service.reject(first!.experimentId!, bob, 'free the target again');
    expect(await fireSlot(deps, sch, T0, T0 + 2_000, false)).toBeNull();
    s.e.service.halt(carol, 'even a skip is not recorded twice');
    expect(await fireSlot(deps, sch, T0, T0 + 3_000, false)).toBeNull();
    expect(s.e.service.list()).toHaveLength(1);
    expect(s.runs(sch.id)).toEqual([expect.objectContaining({ outcome: 'fired', at: T0 + 1_000 })]);
  });

  it('a schedule created mid-minute does not fire for the minute already begun', async () => {
    const s = scheduling(engine);
    s.clock.advance(T0 + 30_000 - s.clock.now());
    const sch = s.book.add({ ...hourly(), cron: '* * * * *' }, alice);
    expect(await s.runner.tick(T0 + 40_000)).toEqual([]);
    expect((await s.runner.tick(T0 + MIN + 1_000)).map((r) => r.slot)).toEqual([T0 + MIN]);
    expect(s.runs(sch.id)).toHaveLength(1);
  });
});

describe('freezes and halts', () => {
  it('a freeze skips the slot (reason and window named, journaled, noted in the channel) and nothing is proposed', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    const w = s.e.engine.freezes.add(T0 - HOUR, T0 + 90 * MIN, 'payments deploy', 'carol');
    const [r] = await s.tickAt(T0 + 2_000);
    expect(r).toMatchObject({ outcome: 'skipped', reason: `frozen until ${new Date(T0 + 90 * MIN).toISOString()}: payments deploy (${w.id})` });
    expect(s.runs(sch.id)[0]).toMatchObject({ outcome: 'skipped', data: { freeze: w.id } });
    expect(s.e.store.events({ kinds: ['schedule-skipped'] })[0]!.data).toMatchObject({ scheduleId: sch.id, reason: expect.stringContaining('payments deploy') });
    expect(s.e.service.list()).toEqual([]);
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain(`Schedule ${sch.id} skipped its ${new Date(T0).toISOString()} run`);
    expect(s.chatText()).toContain('payments deploy');
    // Still inside the window an hour later; after it the next slot fires.
    expect((await s.tickAt(T0 + HOUR + 1_000)).map((x) => x.outcome)).toEqual(['skipped']);
    expect((await s.tickAt(T0 + 2 * HOUR + 1_000)).map((x) => x.outcome)).toEqual(['fired']);
  });

  it('a halt skips the slot with the halt reason; after resume the next slot fires', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    s.e.service.halt(carol, 'incident in checkout');
    const [r] = await s.tickAt(T0 + 2_000);
    expect(r).toMatchObject({ outcome: 'skipped', reason: expect.stringMatching(/^halted by carol: incident in checkout/) });
    expect(s.runs(sch.id)[0]).toMatchObject({ outcome: 'skipped', data: { halt: { by: 'carol', reason: 'incident in checkout' } } });
    expect(s.e.service.list()).toEqual([]);
    s.e.service.resume(carol);
    expect((await s.tickAt(T0 + HOUR + 2_000)).map((x) => x.outcome)).toEqual(['fired']);
  });
});

describe('runs missed while the bot was down', () => {
  it('are recorded as one skipped summary and not fired late', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    await s.tickAt(T0 + 1_000);
    s.e.service.reject(s.runs(sch.id)[0]!.data.experimentId as string, bob, 'not now');
    const back = s.restart();
    const results = await back.tickAt(T0 + 5 * HOUR + 10 * MIN); // down from 09:00 to 14:10
    expect(results).toEqual([expect.objectContaining({ outcome: 'skipped', slot: T0 + 5 * HOUR, reason: expect.stringMatching(/^missed while the bot was down: 5 runs, .*; not fired late$/) })]);
    expect(back.runs(sch.id).map((r) => r.outcome)).toEqual(['skipped', 'fired']);
    expect(back.runs(sch.id)[0]!.data.missed).toEqual({ count: 5, first: T0 + HOUR, last: T0 + 5 * HOUR, countedSince: null });
    expect(back.e.service.list().filter((x) => x.record.state === 'proposed')).toEqual([]);
    expect((await back.tickAt(T0 + 6 * HOUR + 1_000)).map((r) => r.outcome)).toEqual(['fired']);
  });

  it('with --catch-up the newest missed slot fires once, late, and the rest are summarised', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly('web-latency', { catchUp: true }), alice);
    s.e.store.settings.set(LAST_TICK_KEY, String(T0 - MIN)); // the bot last ticked just before 09:00, then went down
    const results = await s.tickAt(T0 + 3 * HOUR + 20 * MIN);
    expect(results.map((r) => [r.outcome, r.slot])).toEqual([
      ['skipped', T0],
      ['fired', T0 + 3 * HOUR],
    ]);
    expect(s.runs(sch.id).find((r) => r.outcome === 'skipped')!.data.missed).toMatchObject({ count: 3, first: T0, last: T0 + 2 * HOUR });
    expect(s.runs(sch.id).find((r) => r.outcome === 'fired')!.data).toMatchObject({ late: true });
    expect(s.e.service.list()).toHaveLength(1);
    expect(await s.tickAt(T0 + 3 * HOUR + 21 * MIN)).toEqual([]);
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain('catching up a run missed while the bot was down');
  });

  it('a month down writes at most two rows, even for a schedule due every minute', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ ...hourly('web-latency', { catchUp: true }), cron: '* * * * *' }, alice);
    const results = await s.tickAt(T0 + 31 * DAY + 30 * MIN + 30_000);
    expect(results.map((r) => r.outcome)).toEqual(['skipped', 'fired']);
    expect(s.runs(sch.id)).toHaveLength(2);
    expect((s.runs(sch.id).find((r) => r.outcome === 'skipped')!.data.missed as { count: number }).count).toBeGreaterThan(40_000);
  });
});

describe('one run per target', () => {
  it('skips when another experiment holds the target, naming it', async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly(), alice);
    const manual = await s.e.service.propose({ playbook: 'web-latency', actor: carol });
    const [r] = await s.tickAt(T0 + 1_000);
    expect(r).toMatchObject({ outcome: 'skipped', reason: `web-latency not run: target memory:service=web is held by ${manual.record.id}, proposed` });
    expect(s.runs(sch.id)[0]!.data).toMatchObject({ busyWith: manual.record.id });
  });

  it('two schedules on one target in the same slot: the first fires, the second is skipped naming its run', async () => {
    const s = scheduling(engine);
    const a = s.book.add(hourly(), alice);
    const b = s.book.add({ ...hourly('web-latency') }, bob);
    const results = await s.tickAt(T0 + 1_000);
    expect(results.map((r) => r.outcome).sort()).toEqual(['fired', 'skipped']);
    const fired = results.find((r) => r.outcome === 'fired')!;
    const skipped = results.find((r) => r.outcome === 'skipped')!;
    expect([a.id, b.id]).toContain(fired.scheduleId);
    expect(skipped.reason).toContain(`held by ${fired.experimentId} (schedule ${fired.scheduleId})`);
  });

  it("a schedule's own previous run still unfinished skips its next slot, whatever the rotation picks", async () => {
    const s = scheduling(engine);
    const sch = s.book.add(hourly('web-latency,db-latency', { rotate: 'in-turn' }), alice);
    const [first] = await s.tickAt(T0 + 1_000);
    const [second] = await s.tickAt(T0 + HOUR + 1_000);
    expect(second).toMatchObject({ outcome: 'skipped', reason: `db-latency not run: its previous run ${first!.experimentId} is still proposed` });
    expect(s.book.get(sch.id).turn).toBe(1); // a skip does not use up a turn
  });

  it('skips when a game day in progress holds the target', async () => {
    const gameDays = new FakeGameDays();
    const s = scheduling(engine, { gameDays });
    s.book.add(hourly(), alice);
    gameDays.active = ['memory:service=web'];
    expect((await s.tickAt(T0 + 1_000))[0]).toMatchObject({ outcome: 'skipped', reason: 'web-latency not run: target memory:service=web is held by a game day in progress' });
    gameDays.active = [];
    expect((await s.tickAt(T0 + HOUR + 1_000))[0]).toMatchObject({ outcome: 'fired' });
  });
});

describe('rotation', () => {
  it('random: the pick is seeded by schedule and slot (replayable from the journal) and applies the selector override', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ ...hourly('web-latency'), selectors: [{ service: 'web' }, { service: 'db' }, { service: 'cache' }] }, alice);
    const picked: string[] = [];
    for (let i = 0; i < 6; i++) {
      const [r] = await s.tickAt(T0 + i * HOUR + 1_000);
      expect(r?.outcome).toBe('fired');
      const exp = s.e.service.get(r!.experimentId!).record;
      const ev = s.e.store.events({ kinds: ['schedule-fired'] }).at(-1)!;
      const replay = pickCandidate(s.book.get(sch.id), ev.data.slot as number);
      expect(ev.data.candidate).toEqual(replay.candidate);
      expect(exp.plan.selector).toEqual(replay.candidate.kind === 'playbook' ? replay.candidate.selector : null);
      picked.push(exp.plan.selector.service!);
      s.e.service.reject(exp.id, bob, 'rotation test');
    }
    expect(new Set(picked).size).toBeGreaterThan(1);
  });

  it('in turn: round robin over names × targets, the counter kept in SQLite across a restart', async () => {
    let s = scheduling(engine);
    const sch = s.book.add({ ...hourly('web-latency,db-latency', { rotate: 'in-turn' }), selectors: [{ service: 'web' }, { service: 'cache' }] }, alice);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      if (i === 2) s = s.restart();
      const [r] = await s.tickAt(T0 + i * HOUR + 1_000);
      const exp = s.e.service.get(r!.experimentId!).record;
      seen.push(`${exp.name}/${exp.plan.selector.service}`);
      s.e.service.reject(exp.id, bob, 'rotation test');
    }
    expect(seen).toEqual(['web-latency/web', 'web-latency/cache', 'db-latency/web', 'db-latency/cache', 'web-latency/web']);
    expect(s.book.get(sch.id).turn).toBe(5);
  });
});
