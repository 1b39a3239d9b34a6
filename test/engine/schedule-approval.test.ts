import { describe, expect, it } from 'vitest';
import { alice, bob, carol, engineFactory, mallory } from './engine-harness.js';
import { DAY, FakeGameDays, HOUR, MIN, scheduling, T0 } from './schedule-harness.js';
import { plainMentions } from '../../src/core/mention.js';

const engine = engineFactory();

const idIn = (text: string) => /sch-[0-9a-f]{6}/.exec(text)![0];

describe('standing approvals', () => {
  it('with one, a run is approved by the grantor and started as the schedule; it runs to its verdict', async () => {
    const s = scheduling(engine);
    const added = await s.chaos('/chaos schedule add web-latency "0 * * * *"');
    const id = idIn(added.title!);
    const granted = await s.chaos(`/chaos schedule approve ${id} for 2d`, bob);
    expect(plainMentions(granted.title ?? '')).toBe(`Standing approval of ${id} by Bob (bob)`);
    expect(s.book.get(id).standing).toMatchObject({ by: { id: 'bob' }, expiresAt: s.book.get(id).standing!.grantedAt + 2 * DAY });

    const [r] = await s.tickAt(T0 + 1_000);
    expect(r).toMatchObject({ outcome: 'fired' });
    const exp = s.e.service.get(r!.experimentId!).record;
    expect(exp.approval).toMatchObject({ by: { id: 'bob' } });
    expect(exp.startedBy).toMatchObject({ id: 'alice', name: `Alice via schedule ${id}` });
    expect(s.runs(id)[0]!.data).toMatchObject({ started: true, standing: { by: 'bob' } });
    await s.e.waitForState(exp.id, 'completed', 5000);
    expect(s.e.service.get(exp.id).record.verdict).toBe('held');
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain(`Schedule ${id} started ${exp.id}: web-latency`);
    expect(s.chatText()).toContain('Under the standing approval of Bob (bob)');
    expect(s.e.store.events({ kinds: ['schedule-standing-granted'] })[0]).toMatchObject({ actor: 'bob', data: { scheduleId: id, standing: { specHash: expect.any(String) } } });
  });

  it('an expired one means the run is only proposed, and says why', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    const { standing } = s.book.approve(sch.id, bob, HOUR); // granted at T0 - 10 min, so it lapses at 09:50
    expect(standing!.grantedAt).toBeGreaterThanOrEqual(T0 - 10 * MIN);
    expect(standing!.expiresAt).toBe(standing!.grantedAt + HOUR);
    expect(standing!.expiresAt).toBeLessThan(T0 + HOUR); // it lapses before the next slot
    const [first] = await s.tickAt(T0 + 1_000);
    expect(s.e.service.get(first!.experimentId!).record.state).toBe('running');
    await s.e.engine.runner.settle();

    const [second] = await s.tickAt(T0 + HOUR + 1_000);
    const exp = s.e.service.get(second!.experimentId!).record;
    expect(exp.state).toBe('proposed');
    const why = `the standing approval by Bob (bob) expired at ${new Date(standing!.expiresAt).toISOString()}`;
    expect(s.runs(sch.id)[0]!.data).toMatchObject({ started: false, standingVoid: why });
    expect(s.e.store.events({ kinds: ['schedule-fired'] }).at(-1)!.data).toMatchObject({ standingVoid: why });
    await s.e.engine.notifier.flush();
    expect(s.chatText()).toContain(`Needs an approver: ${why}`);
  });

  it('editing a playbook voids it: the run is only proposed, naming the change', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency', 'db-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    s.book.approve(sch.id, bob);
    const edited = structuredClone(s.e.playbooks.get('db-latency')!);
    edited.playbook.fault.parameters = { ms: 900 };
    s.e.playbooks.set('db-latency', edited); // even the candidate not picked counts: the approval covered both
    const [r] = await s.tickAt(T0 + 1_000);
    expect(s.e.service.get(r!.experimentId!).record.state).toBe('proposed');
    expect(s.runs(sch.id)[0]!.data.standingVoid).toMatch(/^a playbook changed since the standing approval by Bob \(bob\) \(spec [0-9a-f]{12} → [0-9a-f]{12}\); it is void/);
    // Approving again binds to the new specs.
    s.e.service.reject(r!.experimentId!, bob, 'approve the schedule instead');
    s.book.approve(sch.id, carol);
    const [next] = await s.tickAt(T0 + HOUR + 1_000);
    expect(s.e.service.get(next!.experimentId!).record.approval).toMatchObject({ by: { id: 'carol' } });
  });

  it('four eyes: the creator cannot grant one, nor can a non-approver, nor for longer than the maximum; refusals change nothing', async () => {
    const s = scheduling(engine, { schedules: { standingApprovalMax: '14d' } });
    const id = idIn((await s.chaos('/chaos schedule add web-latency "0 * * * *"')).title!);
    const self = await s.chaos(`/chaos schedule approve ${id}`, alice);
    expect(self).toMatchObject({ errorCode: 'approval_self' });
    expect((await s.chaos(`/chaos schedule approve ${id}`, mallory)).errorCode).toBe('approval_not_approver');
    const long = await s.chaos(`/chaos schedule approve ${id} for 15d`, bob);
    expect(long.errorCode).toBe('schedule_invalid');
    expect(long.sections.join(' ')).toMatch(/^for: a standing approval lasts at most 14d/);
    expect((await s.chaos(`/chaos schedule approve ${id} for soon`, bob)).sections.join(' ')).toMatch(/^for: "soon" is not a duration/);
    expect(s.book.get(id).standing).toBeNull();
    expect(s.e.store.events({ kinds: ['schedule-standing-granted'] })).toEqual([]);
    expect(s.e.store.events({ kinds: ['refused'] }).map((e) => e.data.code)).toEqual(['approval_self', 'approval_not_approver', 'schedule_invalid', 'schedule_invalid']);
    // A run proposed by the schedule is still the creator's: she cannot approve it by hand either.
    const [r] = await s.tickAt(T0 + 1_000);
    await expect(s.e.service.approve(r!.experimentId!, alice)).rejects.toMatchObject({ code: 'approval_self' });
  });

  it('revoke takes it back: the next run waits for a person', async () => {
    const s = scheduling(engine);
    const sch = s.book.add({ names: ['web-latency'], cron: '0 * * * *', channel: '#chaos' }, alice);
    s.book.approve(sch.id, bob);
    const revoked = await s.chaos(`/chaos schedule revoke ${sch.id}`, carol);
    expect(revoked.title).toBe(`Standing approval of ${sch.id} revoked`);
    const [r] = await s.tickAt(T0 + 1_000);
    expect(s.e.service.get(r!.experimentId!).record.state).toBe('proposed');
    expect(s.e.store.events({ kinds: ['schedule-standing-revoked'] })[0]).toMatchObject({ actor: 'carol' });
  });
});

describe('game days behind the port', () => {
  it('without game days wired, a game-day name is refused at add with a clear error', async () => {
    const s = scheduling(engine);
    const reply = await s.chaos('/chaos schedule add web-gameday "0 3 * * 1"');
    expect(reply.errorCode).toBe('playbook_not_found');
    expect(reply.sections.join(' ')).toContain('no playbook named "web-gameday" (game days cannot be scheduled: this bot has no game days wired)');
    expect(s.book.list()).toEqual([]);
  });

  it('a scheduled game day is launched through the port, with the standing approval when valid', async () => {
    const gameDays = new FakeGameDays();
    const s = scheduling(engine, { gameDays });
    const sch = s.book.add({ names: ['web-gameday'], cron: '0 * * * *', channel: '#gameday' }, alice);
    expect(sch.targets).toEqual([{ kind: 'gameday', name: 'web-gameday' }]);
    const [first] = await s.tickAt(T0 + 1_000);
    expect(first).toMatchObject({ outcome: 'fired', gameDayId: 'gd-1', choice: 'game day web-gameday' });
    expect(gameDays.launches[0]).toEqual({ name: 'web-gameday', actor: expect.objectContaining({ id: 'alice' }), channel: '#gameday', scheduleId: sch.id, standing: null });

    s.book.approve(sch.id, bob);
    await s.tickAt(T0 + HOUR + 1_000);
    expect(gameDays.launches[1]!.standing).toEqual({ by: bob });
    gameDays.hash = 'gd-hash-2'; // the game day was edited
    await s.tickAt(T0 + 2 * HOUR + 1_000);
    expect(gameDays.launches[2]!.standing).toBeNull();
    expect(s.runs(sch.id)[0]!.data.standingVoid).toContain('a playbook changed');
  });

  it('selector overrides do not apply to game days; a game day gone later makes the slot fail with its code', async () => {
    const gameDays = new FakeGameDays({ 'web-gameday': ['memory:service=web'], 'old-gameday': [] });
    const s = scheduling(engine, { gameDays });
    const bad = await s.chaos('/chaos schedule add web-gameday "0 3 * * 1" --target service=db');
    expect(bad.errorCode).toBe('schedule_invalid');
    expect(bad.sections.join(' ')).toMatch(/^--target: selector overrides apply to playbooks only/);
    const sch = s.book.add({ names: ['old-gameday'], cron: '0 * * * *', channel: '#chaos' }, alice);
    gameDays.has = (name) => name === 'web-gameday';
    const [r] = await s.tickAt(T0 + 1_000);
    expect(r).toMatchObject({ outcome: 'failed', reason: 'gameday_not_found: no game day named "old-gameday" is loaded any more' });
    expect(s.runs(sch.id)[0]).toMatchObject({ outcome: 'failed', data: { code: 'gameday_not_found' } });
  });
});
