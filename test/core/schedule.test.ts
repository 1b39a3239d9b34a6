import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.js';
import {
  candidatesOf,
  parseLongDuration,
  pickCandidate,
  Schedule,
  ScheduleSettings,
  scheduleActor,
  slotSeed,
  specHash,
} from '../../src/core/schedule.js';
import { parseAddArgs, parseSelector } from '../../src/core/schedule-args.js';
import { grantStanding, standingStatus } from '../../src/core/schedule-standing.js';

const alice: Actor = { id: 'alice', team: 'T1', name: 'Alice' };
const bob: Actor = { id: 'bob', team: 'T1', name: 'Bob' };
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');

function schedule(over: Partial<Schedule> = {}): Schedule {
  return Schedule.parse({
    id: 'sch-1a2b3c',
    targets: [
      { kind: 'playbook', name: 'web-latency' },
      { kind: 'playbook', name: 'db-latency' },
    ],
    selectors: [{ service: 'web' }, { service: 'cache' }],
    cron: '0 3 * * *',
    timeZone: 'UTC',
    rotate: 'random',
    catchUp: false,
    channel: '#chaos',
    seed: 1234,
    createdBy: alice,
    createdAt: T0,
    state: 'active',
    activeSince: T0,
    updatedAt: T0,
    turn: 0,
    standing: null,
    ...over,
  });
}

describe('rotation', () => {
  it('candidates are the names crossed with the selector overrides; game days stand alone', () => {
    expect(candidatesOf(schedule()).map((c) => [c.name, c.kind === 'playbook' ? c.selector : null])).toEqual([
      ['web-latency', { service: 'web' }],
      ['web-latency', { service: 'cache' }],
      ['db-latency', { service: 'web' }],
      ['db-latency', { service: 'cache' }],
    ]);
    expect(candidatesOf(schedule({ selectors: [], targets: [{ kind: 'playbook', name: 'a' }, { kind: 'gameday', name: 'gd' }] }))).toEqual([
      { kind: 'playbook', name: 'a', selector: null },
      { kind: 'gameday', name: 'gd' },
    ]);
  });

  it('random picks replay from seed and slot, differ across slots and seeds, and reach every candidate', () => {
    const s = schedule();
    const slots = Array.from({ length: 200 }, (_, i) => T0 + i * DAY);
    const picks = slots.map((slot) => pickCandidate(s, slot).index);
    expect(slots.map((slot) => pickCandidate(schedule(), slot).index)).toEqual(picks);
    expect(new Set(picks)).toEqual(new Set([0, 1, 2, 3]));
    const other = slots.map((slot) => pickCandidate(schedule({ seed: 99 }), slot).index);
    expect(other).not.toEqual(picks);
    expect(pickCandidate(s, T0)).toMatchObject({ of: 4, how: 'random' });
    expect(slotSeed(1234, T0)).toBe(slotSeed(1234, T0));
    expect(slotSeed(1234, T0)).not.toBe(slotSeed(1234, T0 + DAY));
  });

  it('in turn goes round the candidates by the persisted counter', () => {
    const picks = [0, 1, 2, 3, 4, 5].map((turn) => pickCandidate(schedule({ rotate: 'in-turn', turn }), T0).candidate);
    expect(picks.map((c) => (c.kind === 'playbook' ? `${c.name}/${c.selector?.service}` : c.name))).toEqual([
      'web-latency/web',
      'web-latency/cache',
      'db-latency/web',
      'db-latency/cache',
      'web-latency/web',
      'web-latency/cache',
    ]);
  });
});

describe('standing approvals', () => {
  const grant = (over: Partial<Parameters<typeof grantStanding>[1]> = {}) =>
    grantStanding(schedule(), { actor: bob, approvers: ['alice', 'bob'], defaultMs: 7 * DAY, maxMs: 30 * DAY, specHash: 'h1', now: T0, ...over });

  it('an approver other than the creator grants one, 7 days by default', () => {
    expect(grant()).toEqual({ by: bob, grantedAt: T0, expiresAt: T0 + 7 * DAY, specHash: 'h1' });
    expect(grant({ forMs: 2 * DAY }).expiresAt).toBe(T0 + 2 * DAY);
  });

  it('refuses the creator (four eyes), non-approvers, too long, and removed schedules', () => {
    expect(() => grant({ actor: alice })).toThrow(expect.objectContaining({ code: 'approval_self' }));
    expect(() => grant({ actor: { id: 'carol' } })).toThrow(expect.objectContaining({ code: 'approval_not_approver' }));
    expect(() => grant({ forMs: 31 * DAY })).toThrow(expect.objectContaining({ code: 'schedule_invalid', message: expect.stringMatching(/^for: .*at most 30d/) }));
    expect(() => grantStanding(schedule({ state: 'removed' }), { actor: bob, approvers: ['bob'], defaultMs: DAY, maxMs: DAY, specHash: 'h', now: T0 })).toThrow(
      expect.objectContaining({ code: 'illegal_transition' }),
    );
  });

  it('is valid until it expires and only for the same spec hash', () => {
    const s = schedule({ standing: grant() });
    expect(standingStatus(s, { hash: 'h1' }, T0 + 7 * DAY - 1)).toEqual({ ok: true, by: bob, expiresAt: T0 + 7 * DAY });
    expect(standingStatus(s, { hash: 'h1' }, T0 + 7 * DAY)).toEqual({ ok: false, reason: expect.stringContaining('expired at 2026-03-09T09:00:00.000Z') });
    expect(standingStatus(s, { hash: 'h2' }, T0 + 1)).toEqual({ ok: false, reason: expect.stringContaining('a playbook changed since the standing approval by Bob (bob)') });
    expect(standingStatus(s, { error: 'no playbook named "x"' }, T0 + 1)).toEqual({ ok: false, reason: expect.stringContaining('cannot be checked') });
    expect(standingStatus(schedule(), { hash: 'h1' }, T0)).toEqual({ ok: false, reason: null });
  });

  it('the spec hash is canonical: key order does not matter, any value change does', () => {
    expect(specHash([{ a: 1, b: { c: 2, d: 3 } }])).toBe(specHash([{ b: { d: 3, c: 2 }, a: 1 }]));
    expect(specHash([{ a: 1, b: { c: 2, d: 3 } }])).not.toBe(specHash([{ a: 1, b: { c: 2, d: 4 } }]));
  });

  it('the schedule acts as its creator (so four eyes still hold), labelled with the schedule', () => {
    expect(scheduleActor(schedule())).toEqual({ id: 'alice', team: 'T1', name: 'Alice via schedule sch-1a2b3c' });
  });
});

describe('durations and settings', () => {
  it('parses days and the usual units; rejects nonsense', () => {
    expect(parseLongDuration('7d')).toBe(7 * DAY);
    expect(parseLongDuration('1d12h')).toBe(1.5 * DAY);
    expect(parseLongDuration('36h')).toBe(1.5 * DAY);
    for (const bad of ['', 'd', '0d', '7 days', '-1d', 'x']) expect(parseLongDuration(bad), bad).toBeUndefined();
  });

  it('config: defaults, days accepted, and a default longer than the max is refused naming the field', () => {
    expect(ScheduleSettings.parse({})).toEqual({ enabled: true, standingApprovalDefault: 7 * DAY, standingApprovalMax: 30 * DAY, missedGrace: 300_000 });
    expect(ScheduleSettings.parse({ standingApprovalMax: '14d' }).standingApprovalMax).toBe(14 * DAY);
    const bad = ScheduleSettings.safeParse({ standingApprovalMax: '3d' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['standingApprovalDefault']);
    expect(ScheduleSettings.safeParse({ standingApprovalMax: 'soon' }).error?.issues[0]?.path).toEqual(['standingApprovalMax']);
  });
});

describe('schedule add arguments', () => {
  it('reads names, a quoted or unquoted cron and every flag', () => {
    expect(parseAddArgs(['web-latency,db-latency', '0 3 * * 1-5', '--tz', 'Europe/Berlin', '--rotate=in-turn', '--target', 'service=web', '--target', 'service=db,zone=a', '--catch-up', '--channel', '#ops'])).toEqual({
      names: ['web-latency', 'db-latency'],
      cron: '0 3 * * 1-5',
      timeZone: 'Europe/Berlin',
      rotate: 'in-turn',
      selectors: [{ service: 'web' }, { service: 'db', zone: 'a' }],
      catchUp: true,
      channel: '#ops',
    });
    expect(parseAddArgs(['web-latency', '0', '3', '*', '*', '*'])).toEqual({ names: ['web-latency'], cron: '0 3 * * *', selectors: [], catchUp: false });
  });

  it('names the argument that is wrong', () => {
    const fails = (words: string[], re: RegExp) => expect(() => parseAddArgs(words), words.join(' ')).toThrow(expect.objectContaining({ code: 'schedule_invalid', message: expect.stringMatching(re) }));
    fails(['web-latency'], /^cron: missing/);
    fails(['web-latency,', '* * * * *'], /^names: /);
    fails(['web-latency', '* * * * *', '--rotate', 'sometimes'], /^--rotate: "sometimes"/);
    fails(['web-latency', '* * * * *', '--target', 'service'], /^--target: "service" is not key=value/);
    fails(['web-latency', '* * * * *', '--tz'], /^--tz: needs a value/);
    fails(['web-latency', '* * * * *', '--tz', 'UTC', '--tz', 'UTC'], /^--tz: given twice/);
    fails(['web-latency', '* * * * *', '--every', 'day'], /^--every: unexpected/);
    fails(['web-latency', '* * * * *', '--catch-up=yes'], /^--catch-up: takes no value/);
    expect(parseSelector('a=1,b=2')).toEqual({ a: '1', b: '2' });
  });
});
