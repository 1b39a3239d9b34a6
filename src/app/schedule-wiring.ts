import type { AdapterLogger } from '../core/ports.js';
import type { ScheduleSettings } from '../core/schedule.js';
import type { ScheduleRunner } from '../engine/schedules/schedule-runner.js';
import type { Store } from '../store/index.js';

/**
 * Schedules for the app: the engine built the book and the runner (so `/chaos schedule` works even
 * when `schedules.enabled` is false); the runner ticks once a minute only when enabled. `stop`
 * before the store closes: it ends the timer and waits for a tick in progress.
 */
export function wireSchedules(opts: { settings: ScheduleSettings; runner: ScheduleRunner; store: Store; log: AdapterLogger }): { runner: ScheduleRunner; stop(): Promise<void> } {
  const { settings, runner } = opts;
  if (settings.enabled) runner.start();
  else opts.log.info({ schedules: opts.store.schedules.list({ states: ['active'] }).length }, 'schedules disabled in the config: nothing fires');
  return { runner, stop: () => runner.stop() };
}
