import { describe, expect, it } from 'vitest';
import { cronMatches, parseCron } from '../../src/core/cron-match.js';
import { activeFreeze, type FreezeWindow } from '../../src/core/freeze.js';

const H = 3_600_000;

describe('cron matching for recurring freeze windows', () => {
  it('parses fields, lists, ranges and steps, and refuses junk', () => {
    expect(parseCron('*/15 9-17 * * 1-5')).not.toBeNull();
    expect(parseCron('0 0 1,15 * *')).not.toBeNull();
    for (const bad of ['', '* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '5-1 * * * *', 'a * * * *', '*/0 * * * *']) expect(parseCron(bad), bad).toBeNull();
  });

  it('matches in the given time zone', () => {
    const spec = parseCron('0 18 * * 5')!; // Fridays 18:00
    const fri1800Berlin = Date.parse('2026-12-04T17:00:00Z'); // 18:00 CET
    expect(cronMatches(spec, fri1800Berlin, 'Europe/Berlin')).toBe(true);
    expect(cronMatches(spec, fri1800Berlin, 'UTC')).toBe(false);
    expect(cronMatches(parseCron('0 0 * * 7')!, Date.parse('2026-12-06T00:00:00Z'))).toBe(true); // 7 is Sunday too
  });
});

describe('active freeze', () => {
  const weekend: FreezeWindow = { id: 'config-1', kind: 'recurring', cron: '0 18 * * 5', durationMs: 62 * H, timeZone: 'Europe/Berlin', reason: 'weekend', by: 'config' };
  const once: FreezeWindow = { id: 'frz-1', kind: 'once', from: Date.parse('2026-12-01T10:00:00Z'), to: Date.parse('2026-12-01T12:00:00Z'), reason: 'deploy', by: 'U1' };

  it('covers the weekend from Friday 18:00 Berlin for 62 hours, and not the Monday after', () => {
    const sat = Date.parse('2026-12-05T12:00:00Z');
    expect(activeFreeze([weekend], sat)).toMatchObject({ window: { id: 'config-1' }, until: Date.parse('2026-12-04T17:00:00Z') + 62 * H });
    expect(activeFreeze([weekend], Date.parse('2026-12-07T09:00:00Z'))).toBeNull();
    expect(activeFreeze([weekend], Date.parse('2026-12-04T16:59:00Z'))).toBeNull();
  });

  it('covers a one-off window from its start up to (not including) its end', () => {
    expect(activeFreeze([once], once.from)).not.toBeNull();
    expect(activeFreeze([once], once.to - 1)).not.toBeNull();
    expect(activeFreeze([once], once.to)).toBeNull();
    expect(activeFreeze([once], once.from - 1)).toBeNull();
  });
});
