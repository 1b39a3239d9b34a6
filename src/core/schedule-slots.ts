import { parseCron, type CronSpec } from './cron-match.js';
import { FaultlineError } from './errors.js';

const MINUTE = 60_000;
/** Zone offsets and their changes fall on quarter hours, so one offset look-up serves 15 minutes. */
const BLOCK = 15 * MINUTE;

export const floorMinute = (t: number): number => Math.floor(t / MINUTE) * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** How far the zone's wall clock is ahead of UTC at `at` (ms). */
function offsetAt(at: number, timeZone: string): number {
  const parts = formatter(timeZone).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute')) - floorMinute(at);
}

/** Throws `schedule_invalid` naming the field unless the expression and the zone are usable. */
export function checkCron(cron: string, timeZone: string): CronSpec {
  const spec = parseCron(cron);
  if (!spec) {
    throw new FaultlineError('schedule_invalid', `cron: "${cron}" is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 3 * * 1-5"`, {
      field: 'cron',
    });
  }
  try {
    formatter(timeZone);
  } catch {
    throw new FaultlineError('schedule_invalid', `--tz: "${timeZone}" is not a time zone; use an IANA name such as Europe/Berlin or UTC`, { field: 'tz' });
  }
  return spec;
}

const DAY = 24 * 60 * MINUTE;

/**
 * The zone offset for the quarter hour starting at `t`. Zones change their offset at most once or
 * twice a year, so a UTC day whose start and end agree is taken as constant and costs two look-ups;
 * only the day of a change is looked up quarter hour by quarter hour.
 */
function offsetLookup(timeZone: string): (t: number) => number {
  const days = new Map<number, number | null>();
  return (t) => {
    const day = Math.floor(t / DAY);
    let constant = days.get(day);
    if (constant === undefined) {
      const start = offsetAt(day * DAY, timeZone);
      constant = start === offsetAt((day + 1) * DAY, timeZone) ? start : null;
      days.set(day, constant);
    }
    return constant ?? offsetAt(t, timeZone);
  };
}

/**
 * Walks the minutes of [from, to] (both minute-aligned) that match, newest first when `backwards`.
 * Matches as `cronMatches` does, but a quarter hour at a time: zone offsets are whole quarter hours,
 * so every minute of one shares the local date and hour, and a quarter hour whose hour, day or month
 * does not match is passed over whole. A month of minutes takes about a millisecond.
 */
export function* matchingMinutes(spec: CronSpec, timeZone: string, from: number, to: number, backwards = false): Generator<number> {
  const offsetOf = offsetLookup(timeZone);
  const minutes = spec.fields[0]!;
  const step = backwards ? -BLOCK : BLOCK;
  for (let block = Math.floor((backwards ? to : from) / BLOCK) * BLOCK; backwards ? block + BLOCK > from : block <= to; block += step) {
    const offset = offsetOf(block);
    if (!matchesLocalHour(spec, new Date(block + offset))) continue;
    const lo = Math.max(block, from);
    const hi = Math.min(block + BLOCK - MINUTE, to);
    const minuteOf = (t: number) => new Date(t + offset).getUTCMinutes();
    if (backwards) {
      for (let t = hi; t >= lo; t -= MINUTE) if (minutes.has(minuteOf(t))) yield t;
    } else {
      for (let t = lo; t <= hi; t += MINUTE) if (minutes.has(minuteOf(t))) yield t;
    }
  }
}

/** Every field but the minute: what a whole quarter hour shares. */
function matchesLocalHour(spec: CronSpec, local: Date): boolean {
  const f = spec.fields;
  if (!f[1]!.has(local.getUTCHours()) || !f[3]!.has(local.getUTCMonth() + 1)) return false;
  const domOk = f[2]!.has(local.getUTCDate());
  const dowOk = f[4]!.has(local.getUTCDay());
  if (!spec.domStar && !spec.dowStar) return domOk || dowOk;
  return domOk && dowOk;
}

export interface DueInput {
  spec: CronSpec;
  timeZone: string;
  /** Slots at or before this are already handled (the last tick, the last recorded slot, or activation). */
  after: number;
  now: number;
  /** A slot newer than `now - graceMs` is on time; older ones were missed. */
  graceMs: number;
  /** How far back missed slots are looked for at all (bounds the work after a long outage). */
  lookbackMs: number;
}

export interface Missed {
  count: number;
  first: number;
  last: number;
  /** The newest missed slot before `last`, if any (what stays skipped when `last` is caught up). */
  previous: number | null;
  /** Set when the outage was longer than the look-back: slots before this were not counted. */
  countedSince: number | null;
}

export interface DueSlots {
  onTime: number | null;
  missed: Missed | null;
}

/** The slots due in (after, now]: the newest on-time one, and a summary of the missed ones. */
export function dueSlots(input: DueInput): DueSlots {
  const to = floorMinute(input.now);
  const earliest = to - input.lookbackMs;
  const from = Math.max(floorMinute(input.after) + MINUTE, earliest);
  let onTime: number | null = null;
  let missed: Missed | null = null;
  for (const t of matchingMinutes(input.spec, input.timeZone, from, to, true)) {
    if (onTime === null && missed === null && t > input.now - input.graceMs) {
      onTime = t;
      continue;
    }
    if (!missed) missed = { count: 1, first: t, last: t, previous: null, countedSince: null };
    else {
      if (missed.count === 1) missed.previous = t;
      missed.count += 1;
      missed.first = t;
    }
  }
  if (missed && floorMinute(input.after) + MINUTE < earliest) missed.countedSince = earliest;
  return { onTime, missed };
}

export interface FiringPlan {
  /** The slot to fire now, and whether it is a late catch-up of a missed one. */
  fire: { slot: number; late: boolean } | null;
  /** One skipped row summarising the missed slots not fired (keyed by `slot`). */
  skipMissed: (Missed & { slot: number }) | null;
}

/**
 * A missed slot is not fired late unless the schedule catches up; even then only the newest one
 * fires, once. Every other missed slot goes into one summary row.
 */
export function planFiring(due: DueSlots, catchUp: boolean): FiringPlan {
  const m = due.missed;
  if (due.onTime !== null) return { fire: { slot: due.onTime, late: false }, skipMissed: m ? { ...m, slot: m.last } : null };
  if (!m) return { fire: null, skipMissed: null };
  if (!catchUp) return { fire: null, skipMissed: { ...m, slot: m.last } };
  const rest = m.count > 1 && m.previous !== null ? { ...m, count: m.count - 1, last: m.previous, previous: null, slot: m.first } : null;
  return { fire: { slot: m.last, late: true }, skipMissed: rest };
}

/** The next slot after `after`, looking at most `horizonMs` ahead. */
export function nextSlot(spec: CronSpec, timeZone: string, after: number, horizonMs = 35 * 86_400_000): number | null {
  const from = floorMinute(after) + MINUTE;
  for (const t of matchingMinutes(spec, timeZone, from, from + horizonMs)) return t;
  return null;
}
