import { describe, expect, it } from 'vitest';
import { LAST_TICK_KEY } from '../../src/engine/schedules/schedule-runner.js';
import { alice, bob, engineFactory } from './engine-harness.js';
import { HOUR, messageText, MIN, scheduling, T0 } from './schedule-harness.js';

const engine = engineFactory();

const idIn = (text: string) => /sch-[0-9a-f]{6}/.exec(text)![0];

describe('/chaos schedule', () => {
  it('add, list, runs, pause, resume, remove: each change journaled with its actor', async () => {
    const s = scheduling(engine);
    const added = await s.chaos('/chaos schedule add web-latency,db-latency "0 3 * * 1-5" --tz Europe/Berlin --rotate in-turn --target service=web --target service=cache --catch-up --channel #ops');
    expect(added.errorCode).toBeUndefined();
    const id = idIn(added.title!);
    const text = messageText(added);
    expect(text).toContain('Runs: web-latency (service=web) | web-latency (service=cache) | db-latency (service=web) | db-latency (service=cache)');
    expect(text).toContain('When: "0 3 * * 1-5" (Europe/Berlin); next 2026-03-03T02:00:00.000Z');
    expect(text).toContain('Rotation: in turn');
    expect(text).toContain('Channel: #ops');
    expect(text).toContain('Missed runs: the newest one fires once');
    expect(s.book.get(id)).toMatchObject({ state: 'active', timeZone: 'Europe/Berlin', rotate: 'in-turn', catchUp: true, channel: '#ops', createdBy: { id: 'alice' } });

    const list = messageText(await s.chaos('/chaos schedule list', bob));
    expect(list).toContain(`${id}  active  "0 3 * * 1-5" Europe/Berlin  web-latency, db-latency (in-turn over 4)  catch-up  next: 2026-03-03T02:00:00.000Z  standing: none`);

    expect((await s.chaos(`/chaos schedule pause ${id}`, bob)).title).toBe(`Schedule ${id} paused`);
    expect((await s.chaos(`/chaos schedule pause ${id}`, bob)).errorCode).toBe('illegal_transition');
    expect((await s.chaos(`/chaos schedule resume ${id}`)).title).toBe(`Schedule ${id} resumed`);
    expect((await s.chaos(`/chaos schedule remove ${id}`)).title).toBe(`Schedule ${id} removed`);
    expect(messageText(await s.chaos('/chaos schedule list'))).not.toContain(id);
    expect(messageText(await s.chaos('/chaos schedule list all'))).toContain(`${id}  removed`);
    expect((await s.chaos(`/chaos schedule resume ${id}`)).errorCode).toBe('illegal_transition');

    const journal = s.e.store.events({ kinds: ['schedule-added', 'schedule-paused', 'schedule-resumed', 'schedule-removed'] });
    expect(journal.map((e) => [e.kind, e.actor])).toEqual([
      ['schedule-added', 'alice'],
      ['schedule-paused', 'bob'],
      ['schedule-resumed', 'alice'],
      ['schedule-removed', 'alice'],
    ]);
    expect(journal[0]!.data.schedule).toMatchObject({ id, cron: '0 3 * * 1-5' });
  });

  it('bad input is refused naming the field, changes nothing and is audited', async () => {
    const s = scheduling(engine);
    const cases: [string, string, RegExp][] = [
      ['/chaos schedule add web-latency "0 3 * *"', 'schedule_invalid', /^cron: "0 3 \* \*" is not a five-field cron expression/],
      ['/chaos schedule add web-latency "0 3 * * *" --tz Mars/Olympus', 'schedule_invalid', /^--tz: "Mars\/Olympus" is not a time zone/],
      ['/chaos schedule add nosuch "0 3 * * *"', 'playbook_not_found', /^no playbook named "nosuch".*; playbooks: cache-latency, db-latency, web-latency/],
      ['/chaos schedule add web-latency,web-latency "0 3 * * *"', 'schedule_invalid', /^names: "web-latency" is listed twice/],
      ['/chaos schedule add web-latency "0 3 * * *" --rotate often', 'schedule_invalid', /^--rotate: "often"/],
      ['/chaos schedule add web-latency', 'schedule_invalid', /^cron: missing/],
      ['/chaos schedule pause sch-000000', 'schedule_not_found', /^no schedule sch-000000/],
      ['/chaos schedule pause 42', 'command_usage', /./],
      ['/chaos schedule', 'command_usage', /./],
    ];
    for (const [line, code, re] of cases) {
      const reply = await s.chaos(line);
      expect(reply.errorCode, line).toBe(code);
      expect(reply.sections.join(' '), line).toMatch(re);
    }
    expect(s.e.store.schedules.list()).toEqual([]);
    expect(s.e.store.events({ kinds: ['refused'] }).map((e) => e.data.code)).toEqual(cases.map((c) => c[1]));
    expect(s.e.store.events({ kinds: ['schedule-added'] })).toEqual([]);
  });

  it('runs shows fired, skipped and failed slots with their reasons', async () => {
    const s = scheduling(engine);
    const id = idIn((await s.chaos('/chaos schedule add web-latency "0 * * * *"')).title!);
    const [fired] = await s.tickAt(T0 + 1_000);
    await s.tickAt(T0 + HOUR + 1_000); // its own run still waits for approval
    s.e.service.reject(fired!.experimentId!, bob, 'no');
    s.e.playbooks.delete('web-latency');
    await s.tickAt(T0 + 2 * HOUR + 1_000);
    const runs = messageText(await s.chaos(`/chaos schedule runs ${id}`));
    expect(runs).toContain(`${new Date(T0).toISOString()}  fired  ${fired!.experimentId} web-latency`);
    expect(runs).toContain(`${new Date(T0 + HOUR).toISOString()}  skipped  web-latency not run: its previous run ${fired!.experimentId} is still proposed`);
    expect(runs).toContain(`${new Date(T0 + 2 * HOUR).toISOString()}  failed  web-latency — playbook_not_found: no playbook named "web-latency"`);
  });
});

describe('pause, resume, remove and failures', () => {
  it('a paused schedule fires nothing and records nothing; slots while paused are not "missed" after resume', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    s.book.pause(sch.id, bob);
    expect(await s.tickAt(T0 + 1_000)).toEqual([]);
    s.e.store.settings.set(LAST_TICK_KEY, undefined); // even a restart that lost track of ticks
    s.clock.advance(T0 + 3 * HOUR + 30 * MIN - s.clock.now());
    s.book.resume(sch.id, bob);
    expect(await s.tickAt(T0 + 3 * HOUR + 31 * MIN)).toEqual([]);
    expect(s.runs(sch.id)).toEqual([]);
    expect((await s.tickAt(T0 + 4 * HOUR + 1_000)).map((r) => r.outcome)).toEqual(['fired']);
  });

  it('a removed schedule never fires again and keeps its history', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    const [r] = await s.tickAt(T0 + 1_000);
    s.e.service.reject(r!.experimentId!, bob, 'no');
    s.book.remove(sch.id, alice);
    expect(await s.tickAt(T0 + HOUR + 1_000)).toEqual([]);
    expect(s.book.get(sch.id).state).toBe('removed');
    expect(s.e.store.schedules.get(sch.id)?.state).toBe('removed');
    expect(s.book.runs(sch.id).map((x) => x.outcome)).toEqual(['fired']);
  });

  it('a proposal refused by the ladder records outcome failed with the code and message, and a note', async () => {
    const s = scheduling(engine, { settings: { ladderWindowMs: 30 * 86_400_000 } });
    const sch = s.book.add({ names: ['web-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    const [r] = await s.tickAt(T0 + 1_000);
    expect(r).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^ladder: start small/) });
    expect(s.runs(sch.id)).toEqual([expect.objectContaining({ outcome: 'failed', data: expect.objectContaining({ code: 'ladder', reason: expect.stringContaining('blastRadius=one first'), choice: 'web-latency' }) })]);
    expect(s.e.store.events({ kinds: ['schedule-failed'] })[0]!.data).toMatchObject({ scheduleId: sch.id, code: 'ladder' });
    expect(s.e.service.list()).toEqual([]);
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain(`Schedule ${sch.id}: the ${new Date(T0).toISOString()} run failed (ladder)`);
  });

  it('a start refused after a standing approval records failed and names the experiment left approved', async () => {
    const s = scheduling(engine, { settings: { caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 1, maxDurationMs: 60_000 } } });
    const sch = s.book.add({ names: ['db-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    s.book.approve(sch.id, bob);
    const other = await s.e.launch('cache-latency'); // fills the one concurrent slot
    const [r] = await s.tickAt(T0 + 1_000);
    expect(r).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/^concurrency_cap: /) });
    expect(s.runs(sch.id)[0]!.data).toMatchObject({ code: 'concurrency_cap', left: 'approved', experimentId: expect.stringMatching(/^exp-/) });
    await s.e.waitForState(other, 'completed', 5000);
  });
});

describe('node-cron drives the runner in production', () => {
  it('start ticks at once (what came due while the bot was down) and stop ends the timer and waits', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency'], cron: '* * * * *', channel: '#chaos' }, alice);
    s.e.store.settings.set(LAST_TICK_KEY, String(s.clock.now()));
    s.clock.advance(2 * HOUR); // the bot was down for two hours
    s.runner.start();
    s.runner.start(); // idempotent
    await s.runner.stop();
    expect(s.runs(sch.id).map((r) => r.outcome).sort()).toEqual(['fired', 'skipped']);
    expect(Number(s.e.store.settings.get(LAST_TICK_KEY))).toBe(Math.floor(s.clock.now() / MIN) * MIN);
    await s.runner.stop(); // twice is fine
  });
});
