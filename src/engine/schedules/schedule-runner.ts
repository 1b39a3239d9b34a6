import cron, { type ScheduledTask } from 'node-cron';
import type { Clock } from '../../core/clock.js';
import { parseCron } from '../../core/cron-match.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { Schedule, ScheduleSettings } from '../../core/schedule.js';
import { dueSlots, floorMinute, planFiring } from '../../core/schedule-slots.js';
import type { Store } from '../../store/index.js';
import { ScheduleBook } from './schedule-book.js';
import { fireSlot, recordSkip, type FireDeps, type SlotResult } from './schedule-fire.js';
import type { ScheduledGameDays, ScheduleSurroundings } from './schedule-ports.js';

export type { SlotResult } from './schedule-fire.js';
export type { ScheduledGameDays } from './schedule-ports.js';

/** The last minute a tick handled (ms since epoch), kept in SQLite so a restart can tell what it missed. */
export const LAST_TICK_KEY = 'schedules.last-tick';

export interface ScheduleRunnerDeps extends ScheduleSurroundings {
  store: Store;
  book: ScheduleBook;
  clock: Clock;
  log: AdapterLogger;
  settings: ScheduleSettings;
  gameDays?: ScheduledGameDays;
  /** How far back a restart looks for missed slots (default 35 days); older ones are not counted. */
  lookbackMs?: number;
}

/**
 * Fires schedules. `tick(now)` does all the work and is what tests drive with a fake clock; in
 * production `start()` has node-cron call it once a minute. Nothing is held in memory between ticks:
 * schedules, their runs and the last tick are read from SQLite each time.
 */
export class ScheduleRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private task: ScheduledTask | null = null;
  private readonly fire: FireDeps;

  constructor(private readonly deps: ScheduleRunnerDeps) {
    const { experiments, journal, notifier, killSwitch, freezes, store, book, log } = deps;
    this.fire = { experiments, journal, notifier, killSwitch, freezes, store, book, log, ...(deps.gameDays ? { gameDays: deps.gameDays } : {}) };
  }

  /** Handles every slot due up to `now`. Ticks run one after another, never interleaved. */
  tick(now: number = this.deps.clock.now()): Promise<SlotResult[]> {
    const run = this.chain.then(() => this.runTick(now));
    // The caller of this tick gets its failure; the next tick must not inherit it.
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** A first tick now (what came due while the bot was down), then one every minute. */
  start(): void {
    if (this.task) return;
    const safeTick = () =>
      this.tick().catch((err: unknown) => this.deps.log.error({ err }, 'schedule tick failed'));
    void safeTick();
    this.task = cron.schedule('* * * * *', safeTick, { name: 'faultline-schedules', unref: true });
  }

  /** Stops the minute timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = null;
    if (task) {
      await task.stop();
      await task.destroy();
    }
    await this.chain;
  }

  private lastTick(): number | undefined {
    const raw = this.deps.store.settings.get(LAST_TICK_KEY);
    const n = raw === undefined ? NaN : Number(raw);
    return Number.isFinite(n) ? n : undefined;
  }

  private async runTick(now: number): Promise<SlotResult[]> {
    const lastTick = this.lastTick();
    const results: SlotResult[] = [];
    const active = this.deps.book.active((scheduleId, problem) => this.deps.log.error({ scheduleId, problem }, 'schedule row is invalid; skipped'));
    for (const s of active) {
      // Let the event loop in between schedules: a long catch-up after an outage must never hold up an abort or a chat ack.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        results.push(...(await this.runSchedule(s, now, lastTick)));
      } catch (err) {
        this.deps.log.error({ scheduleId: s.id, err }, 'schedule tick failed');
      }
    }
    const minute = floorMinute(now);
    if (lastTick === undefined || minute > lastTick) this.deps.store.settings.set(LAST_TICK_KEY, String(minute));
    return results;
  }

  private async runSchedule(s: Schedule, now: number, lastTick: number | undefined): Promise<SlotResult[]> {
    const spec = parseCron(s.cron);
    if (!spec) {
      this.deps.log.error({ scheduleId: s.id, cron: s.cron }, 'schedule has an invalid cron expression');
      return [];
    }
    const after = Math.max(s.activeSince, this.deps.store.scheduleRuns.lastSlot(s.id) ?? -Infinity, lastTick ?? -Infinity);
    const due = dueSlots({ spec, timeZone: s.timeZone, after, now, graceMs: this.deps.settings.missedGrace, lookbackMs: this.deps.lookbackMs ?? 35 * 86_400_000 });
    const plan = planFiring(due, s.catchUp);
    const out: SlotResult[] = [];
    const m = plan.skipMissed;
    if (m) {
      const counted = m.countedSince !== null ? ` (counted since ${new Date(m.countedSince).toISOString()})` : '';
      const span = m.count === 1 ? new Date(m.last).toISOString() : `${new Date(m.first).toISOString()} … ${new Date(m.last).toISOString()}`;
      const reason = `missed while the bot was down: ${m.count} run${m.count === 1 ? '' : 's'}${counted}, ${span}; not fired late`;
      const r = recordSkip(this.fire, s, m.slot, now, reason, { missed: { count: m.count, first: m.first, last: m.last, countedSince: m.countedSince } });
      if (r) out.push(r);
    }
    if (plan.fire) {
      const r = await fireSlot(this.fire, s, plan.fire.slot, now, plan.fire.late);
      if (r) out.push(r);
    }
    return out;
  }
}

/** The book and the runner over one set of surroundings. The caller starts the runner (or drives `tick` itself). */
export function createSchedules(deps: Omit<ScheduleRunnerDeps, 'book'> & { approvers: readonly string[]; random?: () => number }): { book: ScheduleBook; runner: ScheduleRunner } {
  const { random, approvers, ...rest } = deps;
  const book = new ScheduleBook({
    experiments: deps.experiments,
    journal: deps.journal,
    approvers,
    store: deps.store,
    clock: deps.clock,
    settings: deps.settings,
    ...(deps.gameDays ? { gameDays: deps.gameDays } : {}),
    ...(random ? { random } : {}),
  });
  return { book, runner: new ScheduleRunner({ ...rest, book }) };
}
