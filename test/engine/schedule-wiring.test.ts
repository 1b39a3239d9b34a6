import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/app/config.js';
import { wireSchedules } from '../../src/app/schedule-wiring.js';
import { LAST_TICK_KEY } from '../../src/engine/schedules/schedule-runner.js';
import { alice, engineFactory } from './engine-harness.js';
import { DAY, HOUR, registry } from './schedule-harness.js';
import { dispatch } from '../../commands/index.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { tempFiles } from '../support/temp-files.js';

const engine = engineFactory();
const temp = tempFiles();
/** A config file with this YAML text; its path. */
const configFile = (text: string): string => temp.file(text);

describe('the schedules block of the config', () => {
  it('defaults, and days in durations', () => {
    expect(readConfig({ env: {}, cwd: os.tmpdir() }).config.schedules).toEqual({ enabled: true, standingApprovalDefault: 7 * DAY, standingApprovalMax: 30 * DAY, missedGrace: 300_000 });
    const { config } = readConfig({ file: configFile('schedules: { enabled: false, standingApprovalDefault: 2d, standingApprovalMax: 14d, missedGrace: 10m }\n'), env: {} });
    expect(config.schedules).toEqual({ enabled: false, standingApprovalDefault: 2 * DAY, standingApprovalMax: 14 * DAY, missedGrace: 600_000 });
  });

  it('names the bad field', () => {
    expect(() => readConfig({ file: configFile('schedules: { standingApprovalMax: forever }\n'), env: {} })).toThrow(/schedules\.standingApprovalMax/);
    expect(() => readConfig({ file: configFile('schedules: { standingApprovalMax: 1d }\n'), env: {} })).toThrow(/schedules\.standingApprovalDefault.*must not be longer/);
    expect(() => readConfig({ file: configFile('schedules: { every: 1h }\n'), env: {} })).toThrow(/schedules/);
  });
});

describe('wireSchedules', () => {
  it('enabled: attaches the book, ticks at once and every minute until stopped', async () => {
    const clock = new ShiftedClock();
    const e = engine({ clock });
    const { config } = readConfig({ env: {}, cwd: os.tmpdir() });
    const sch = () => e.engine.schedules;
    // A schedule from before the restart, due every minute, and a bot that was down for an hour.
    const wired0 = wireSchedules({ settings: { ...config.schedules, enabled: false }, runner: e.engine.scheduleRunner, store: e.store, log: e.log });
    const added = sch().add({ names: ['web-latency'], cron: '* * * * *', channel: '#chaos' }, alice);
    e.store.settings.set(LAST_TICK_KEY, String(clock.now()));
    await wired0.stop();
    clock.advance(HOUR);
    const wired = wireSchedules({ settings: config.schedules, runner: e.engine.scheduleRunner, store: e.store, log: e.log });
    await wired.stop();
    expect(e.store.scheduleRuns.list(added.id).map((r) => r.outcome).sort()).toEqual(['fired', 'skipped']);
  });

  it('disabled: schedules can be managed but nothing fires, and the command says so', async () => {
    const { config } = readConfig({ file: configFile('schedules: { enabled: false }\n'), env: {} });
    const e = engine({ scheduleSettings: config.schedules });
    const wired = wireSchedules({ settings: config.schedules, runner: e.engine.scheduleRunner, store: e.store, log: e.log });
    const reply = await dispatch('/chaos schedule add web-latency "* * * * *"', { actor: alice, channel: '#chaos', engine: e.engine.facade, log: e.log }, registry());
    expect(reply.sections.join(' ')).toContain('schedules.enabled: false');
    await wired.stop();
    expect(e.store.settings.get(LAST_TICK_KEY)).toBeUndefined();
    expect(e.log.lines.some((l) => l.msg === 'schedules disabled in the config: nothing fires')).toBe(true);
  });
});
