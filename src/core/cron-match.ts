/**
 * A five-field cron expression (minute hour day-of-month month day-of-week) matched against a
 * moment in a time zone. Enough for recurring freeze windows ("0 18 * * 5" + 64h = the weekend);
 * schedules use node-cron, which cannot answer "did this fire in the last N hours?".
 */
const RANGES = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
] as const;

function parseField(text: string, [lo, hi]: readonly [number, number]): Set<number> | null {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return null;
    const step = m[4] ? Number(m[4]) : 1;
    const from = m[1] === '*' ? lo : Number(m[2]);
    const to = m[1] === '*' ? hi : m[3] !== undefined ? Number(m[3]) : m[4] ? hi : from;
    if (step < 1 || from < lo || to > hi || from > to) return null;
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export interface CronSpec {
  fields: Set<number>[];
  domStar: boolean;
  dowStar: boolean;
}

export function parseCron(expr: string): CronSpec | null {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) return null;
  const fields: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const f = parseField(parts[i]!, RANGES[i]!);
    if (!f) return null;
    fields.push(f);
  }
  if (fields[4]!.has(7)) fields[4]!.add(0);
  return { fields, domStar: parts[2] === '*', dowStar: parts[4] === '*' };
}

const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall-clock fields of an instant in a time zone. */
function localFields(at: number, timeZone: string): [number, number, number, number, number] {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour12: false, minute: 'numeric', hour: 'numeric', day: 'numeric', month: 'numeric', weekday: 'short' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '0';
  return [Number(get('minute')), Number(get('hour')) % 24, Number(get('day')), Number(get('month')), WEEKDAY[get('weekday')] ?? 0];
}

export function cronMatches(spec: CronSpec, at: number, timeZone = 'UTC'): boolean {
  const [mi, h, dom, mon, dow] = localFields(at, timeZone);
  const f = spec.fields;
  if (!f[0]!.has(mi) || !f[1]!.has(h) || !f[3]!.has(mon)) return false;
  // Standard cron: when both day fields are restricted, either may match.
  const domOk = f[2]!.has(dom);
  const dowOk = f[4]!.has(dow);
  if (!spec.domStar && !spec.dowStar) return domOk || dowOk;
  return domOk && dowOk;
}

/** The latest start of the recurring window that still covers `now`, if any (checked minute by minute). */
export function recurringWindowStart(spec: CronSpec, durationMs: number, now: number, timeZone = 'UTC'): number | null {
  const minute = 60_000;
  const start = Math.floor(now / minute) * minute;
  for (let t = start; t > now - durationMs; t -= minute) if (cronMatches(spec, t, timeZone)) return t;
  return null;
}
