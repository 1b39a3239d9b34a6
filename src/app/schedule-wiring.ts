import type { Clock } from '../core/clock.js';
import type { AdapterLogger } from '../core/ports.js';
import type { ExperimentService } from '../engine/experiments/experiment-service.js';
import type { ScheduledGameDays } from '../engine/schedules/schedule-ports.js';
import { createSchedules, type ScheduleRunner } from '../engine/schedules/schedule-runner.js';
import type { Store } from '../store/index.js';
import type { Config } from './config.js';

/**
 * Schedules for the app: the book is attached to the service (so `/chaos schedule` works even when
 * `schedules.enabled` is false) and the runner ticks once a minute when enabled. `stop` before the
 * store closes: it ends the timer and waits for a tick in progress.
 */
export function wireSchedules(opts: {
  config: Config;
  service: ExperimentService;
  store: Store;
  clock: Clock;
  log: AdapterLogger;
  gameDays?: ScheduledGameDays;
}): { runner: ScheduleRunner; stop(): Promise<void> } {
  const settings = opts.config.schedules;
  const { runner } = createSchedules({
    service: opts.service,
    store: opts.store,
    clock: opts.clock,
    log: opts.log,
    settings,
    ...(opts.gameDays ? { gameDays: opts.gameDays } : {}),
  });
  if (settings.enabled) runner.start();
  else opts.log.info({ schedules: opts.store.schedules.list({ states: ['active'] }).length }, 'schedules disabled in the config: nothing fires');
  return { runner, stop: () => runner.stop() };
}
