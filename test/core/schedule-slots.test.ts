import { describe, expect, it } from 'vitest';
import { cronMatches, parseCron } from '../../src/core/cron-match.js';
import { checkCron, dueSlots, matchingMinutes, nextSlot, planFiring } from '../../src/core/schedule-slots.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (s: string) => Date.parse(s);
const cron = (e: string) => parseCron(e)!;

describe('matchingMinutes agrees with cronMatches', () => {
  // Spans the spring and autumn changes in each zone; odd offsets (+5:45, -3:30, Lord Howe's 30-minute DST).
  const cases: [string, string, string][] = [
    ['Europe/Berlin', '2026-03-28T20:00:00Z', '2026-03-29T04:00:00Z'],
    ['Europe/Berlin', '2026-10-24T20:00:00Z', '2026-10-25T04:00:00Z'],
    ['America/St_Johns', '2026-03-08T02:00:00Z', '2026-03-08T09:00:00Z'],
    ['America/St_Johns', '2026-11-01T01:00:00Z', '2026-11-01T08:00:00Z'],
    ['Australia/Lord_Howe', '2026-04-04T12:00:00Z', '2026-04-04T18:00:00Z'],
    ['Asia/Kathmandu', '2026-01-01T00:00:00Z', '2026-01-01T06:00:00Z'],
    ['UTC', '2026-02-27T22:00:00Z', '2026-03-01T02:00:00Z'],
  ];
  const exprs = ['*/7 * * * *', '30 2 * * *', '0,15,45 1-3 * * 0', '0 0 1 * *', '59 23 28-31 2 *', '0 2 * * 1-5'];
  for (const [zone, from, to] of cases) {
    it(`${zone} ${from}`, () => {
      for (const e of exprs) {
        const spec = cron(e);
        const expected: number[] = [];
        for (let t = at(from); t <= at(to); t += MIN) if (cronMatches(spec, t, zone)) expected.push(t);
        expect([...matchingMinutes(spec, zone, at(from), at(to))], `${e} in ${zone}`).toEqual(expected);
        expect([...matchingMinutes(spec, zone, at(from), at(to), true)]).toEqual([...expected].reverse());
      }
    });
  }
});

describe('matchingMinutes over whole days', () => {
  // Days before, on and after a change: the per-day offset cache must notice the day that changes.
  const spans: [string, string, string][] = [
    ['Europe/Berlin', '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z'],
    ['Australia/Lord_Howe', '2026-10-02T00:00:00Z', '2026-10-06T00:00:00Z'],
    ['America/New_York', '2026-10-31T00:00:00Z', '2026-11-03T12:00:00Z'],
  ];
  for (const [zone, from, to] of spans) {
    it(`${zone} ${from} for days`, () => {
      for (const e of ['*/20 1-3 * * *', '15 2 29-31 3,10 0']) {
        const spec = cron(e);
        const expected: number[] = [];
        for (let t = at(from); t <= at(to); t += MIN) if (cronMatches(spec, t, zone)) expected.push(t);
        expect([...matchingMinutes(spec, zone, at(from), at(to))], `${e} in ${zone}`).toEqual(expected);
        expect([...matchingMinutes(spec, zone, at(from) + 7 * MIN, at(to) - 3 * MIN, true)]).toEqual(expected.filter((t) => t >= at(from) + 7 * MIN && t <= at(to) - 3 * MIN).reverse());
      }
    });
  }
});

describe('checkCron', () => {
  it('names the field that is wrong', () => {
    expect(() => checkCron('0 3 * *', 'UTC')).toThrow(/^cron: "0 3 \* \*" is not a five-field/);
    expect(() => checkCron('61 * * * *', 'UTC')).toThrow(expect.objectContaining({ code: 'schedule_invalid', details: { field: 'cron' } }));
    expect(() => checkCron('0 3 * * *', 'Europe/Berlinn')).toThrow(expect.objectContaining({ code: 'schedule_invalid', message: expect.stringMatching(/^--tz: "Europe\/Berlinn"/) }));
    expect(checkCron('0 3 * * *', 'Europe/Berlin').fields[1]).toEqual(new Set([3]));
  });
});

describe('dueSlots and planFiring', () => {
  const spec = cron('0 * * * *'); // hourly
  const base = { spec, timeZone: 'UTC', graceMs: 5 * MIN, lookbackMs: 35 * DAY };

  it('a slot noticed within the grace is on time; nothing else is due', () => {
    const due = dueSlots({ ...base, after: at('2026-03-02T09:59:00Z'), now: at('2026-03-02T10:00:02Z') });
    expect(due).toEqual({ onTime: at('2026-03-02T10:00:00Z'), missed: null });
    expect(planFiring(due, false)).toEqual({ fire: { slot: at('2026-03-02T10:00:00Z'), late: false }, skipMissed: null });
    expect(dueSlots({ ...base, after: at('2026-03-02T10:00:00Z'), now: at('2026-03-02T10:00:40Z') })).toEqual({ onTime: null, missed: null });
    expect(dueSlots({ ...base, after: at('2026-03-02T10:00:30Z'), now: at('2026-03-02T10:30:00Z') })).toEqual({ onTime: null, missed: null });
  });

  it('slots while the bot was down are missed: summarised, not fired, unless catch-up fires the newest once', () => {
    const due = dueSlots({ ...base, after: at('2026-03-02T06:30:00Z'), now: at('2026-03-02T10:20:00Z') });
    expect(due.onTime).toBeNull();
    expect(due.missed).toEqual({ count: 4, first: at('2026-03-02T07:00:00Z'), last: at('2026-03-02T10:00:00Z'), previous: at('2026-03-02T09:00:00Z'), countedSince: null });
    expect(planFiring(due, false)).toEqual({ fire: null, skipMissed: { ...due.missed, slot: at('2026-03-02T10:00:00Z') } });
    const caught = planFiring(due, true);
    expect(caught.fire).toEqual({ slot: at('2026-03-02T10:00:00Z'), late: true });
    expect(caught.skipMissed).toMatchObject({ count: 3, first: at('2026-03-02T07:00:00Z'), last: at('2026-03-02T09:00:00Z'), slot: at('2026-03-02T07:00:00Z') });
    const one = planFiring(dueSlots({ ...base, after: at('2026-03-02T09:30:00Z'), now: at('2026-03-02T10:20:00Z') }), true);
    expect(one).toEqual({ fire: { slot: at('2026-03-02T10:00:00Z'), late: true }, skipMissed: null });
  });

  it('an on-time slot fires on time even with catch-up; the missed ones before it are summarised', () => {
    const due = dueSlots({ ...base, after: at('2026-03-02T07:30:00Z'), now: at('2026-03-02T10:01:00Z') });
    expect(planFiring(due, true)).toEqual({
      fire: { slot: at('2026-03-02T10:00:00Z'), late: false },
      skipMissed: { count: 2, first: at('2026-03-02T08:00:00Z'), last: at('2026-03-02T09:00:00Z'), previous: at('2026-03-02T08:00:00Z'), countedSince: null, slot: at('2026-03-02T09:00:00Z') },
    });
  });

  it('an outage longer than the look-back is counted only over the look-back (bounded work, one summary)', () => {
    const everyMinute = { ...base, spec: cron('* * * * *') };
    const now = at('2026-04-15T12:00:30Z');
    const due = dueSlots({ ...everyMinute, after: now - 90 * DAY, now });
    expect(due.onTime).toBe(at('2026-04-15T12:00:00Z'));
    expect(due.missed).toMatchObject({ count: 35 * DAY / MIN, countedSince: at('2026-04-15T12:00:00Z') - 35 * DAY });
    expect(planFiring(due, true).skipMissed?.count).toBe(35 * DAY / MIN);
  });

  it('nextSlot finds the next run in the zone, or none within the horizon', () => {
    expect(nextSlot(cron('0 3 * * 1'), 'Europe/Berlin', at('2026-03-04T12:00:00Z'))).toBe(at('2026-03-09T02:00:00Z'));
    expect(nextSlot(cron('0 3 * * 1'), 'Europe/Berlin', at('2026-03-25T12:00:00Z'))).toBe(at('2026-03-30T01:00:00Z')); // after the change to CEST
    expect(nextSlot(cron('0 0 30 2 *'), 'UTC', at('2026-03-04T12:00:00Z'))).toBeNull();
  });
});
