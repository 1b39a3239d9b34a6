import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Command } from '../../commands/command.js';
import { scheduleCommand } from '../../commands/schedule.js';
import type { Actor } from '../../src/core/actor.js';
import { seededRandom } from '../../src/core/blast-radius.js';
import { ScheduleSettings } from '../../src/core/schedule.js';
import type { ScheduleBook } from '../../src/engine/schedules/schedule-book.js';
import type { ScheduledGameDays } from '../../src/engine/schedules/schedule-ports.js';
import { createSchedules, type ScheduleRunner, type SlotResult } from '../../src/engine/schedules/schedule-runner.js';
import { messageText } from '../fakes/recording-chat.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { alice, type Engine, type EngineOptions } from './engine-harness.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** Monday 2 March 2026, 09:00 UTC: a slot of every hourly schedule below (the clock starts ten minutes before). */
export const T0 = Date.parse('2026-03-02T09:00:00Z');

/** Three playbooks on the memory target: web, db and cache. */
export const PLAYBOOKS: EngineOptions['playbooks'] = [{}, { name: 'db-latency', service: 'db' }, { name: 'cache-latency', service: 'cache' }];

/** A stand-in for the game-day engine behind the port: it records launches and says which scopes it holds. */
export class FakeGameDays implements ScheduledGameDays {
  readonly launches: Parameters<ScheduledGameDays['launch']>[0][] = [];
  active: string[] = [];
  hash = 'gd-hash-1';
  constructor(private readonly names: Record<string, string[]> = { 'web-gameday': ['memory:service=web'] }) {}
  has(name: string) {
    return name in this.names;
  }
  specHash(name: string) {
    return `${this.hash}:${name}`;
  }
  scopes(name: string) {
    return this.names[name] ?? [];
  }
  activeScopes() {
    return this.active;
  }
  async launch(input: Parameters<ScheduledGameDays['launch']>[0]) {
    this.launches.push(input);
    return { id: `gd-${this.launches.length}` };
  }
}

export interface Scheduling {
  e: Engine;
  clock: ShiftedClock;
  book: ScheduleBook;
  runner: ScheduleRunner;
  /** Moves the engine's clock to `t` and ticks there. */
  tickAt(t: number): Promise<SlotResult[]>;
  /** `/chaos …` through the real dispatcher, with the schedule command registered. */
  chaos(line: string, actor?: Actor): ReturnType<typeof dispatch>;
  chatText(): string;
  runs(id: string): { slot: number; outcome: string; data: Record<string, unknown> }[];
  /** A restart: a new service, book and runner over the same SQLite file. */
  restart(): Scheduling;
}

/** What a book and runner of the test's own need from the engine (its schedules' settings, game days and random source are the test's). */
export function surroundings(e: Engine) {
  const { engine } = e;
  return { experiments: e.service, journal: engine.journal, notifier: engine.notifier, killSwitch: engine.killSwitch, freezes: engine.freezes, approvers: e.settings.approval.approvers };
}

export function registry(): ReadonlyMap<string, Command> {
  return new Map([...commandRegistry(), ['schedule', scheduleCommand]]);
}

/** The real engine over a real SQLite file, with the schedules wired on top; the clock starts at T0 - 10 min. */
export function scheduling(make: (o?: EngineOptions) => Engine, o: EngineOptions & { gameDays?: FakeGameDays; schedules?: Record<string, unknown>; clock?: ShiftedClock } = {}): Scheduling {
  const clock = o.clock ?? new ShiftedClock();
  if (!o.clock) clock.advance(T0 - 10 * MIN - clock.now());
  const e = make({ playbooks: PLAYBOOKS, ...o, clock });
  const settings = ScheduleSettings.parse(o.schedules ?? {});
  const { engine } = e;
  const { book, runner } = createSchedules({
    ...surroundings(e),
    store: e.store,
    clock,
    log: e.log,
    settings,
    random: seededRandom(7),
    ...(o.gameDays ? { gameDays: o.gameDays } : {}),
  });
  // `/chaos schedule` reaches this book (its settings, game days and random source are the test's).
  const facade = { ...engine.facade, schedules: book };
  const s: Scheduling = {
    e,
    clock,
    book,
    runner,
    tickAt(t) {
      clock.advance(t - clock.now());
      return runner.tick(t);
    },
    chaos: (line, actor = alice) => dispatch(line, { actor, channel: '#chaos', engine: facade, log: e.log }, registry()),
    chatText: () => e.chat.transcript(),
    runs: (id) => e.store.scheduleRuns.list(id),
    restart() {
      e.store.close();
      return scheduling(make, { ...o, dir: e.dir, target: e.target, signal: e.signal, chat: e.chat, clock });
    },
  };
  return s;
}

export { messageText };
