/**
 * What the schedule runner costs: a minute's tick over many schedules when nothing is due, and the
 * first tick after the bot was down for 30 days (every schedule summarises its missed slots once).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConsoleChat } from '../src/adapters/chat/console/index.js';
import { createApp } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { LAST_TICK_KEY } from '../src/engine/schedules/schedule-runner.js';
import { summary } from './stats.js';

const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 500);
const ROOT = path.resolve(import.meta.dirname, '..');
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

export async function benchSchedules(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-sched-'));
  // Mid-day: every schedule below fires at 03:xx in its zone, so none is due during the steady ticks.
  let now = Date.parse('2026-03-04T12:00:05Z');
  const clock = { now: () => now };
  const config = Config.parse({
    store: { path: path.join(dir, 'bench.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'playbooks', 'sandbox')] },
    sandbox: { autoStart: false },
    schedules: { enabled: false },
    engine: { targetTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: 'http://127.0.0.1:9' } } },
  });
  const logger = createLogger({ level: 'silent' });
  // No sandbox: nothing fires, so nothing is ever previewed.
  const vars = { sandboxAdmin: 'http://127.0.0.1:9', sandboxProxy: 'http://127.0.0.1:9' };
  const app = await createApp({ config, chat: new ConsoleChat(() => {}), log: logger, clock, cwd: ROOT, vars });
  try {
    // The app's own book and runner: the config turns schedules off, so only these ticks fire.
    const { schedules: book, scheduleRunner: runner } = app.engine;
    const t0 = performance.now();
    for (let i = 0; i < SCHEDULES; i++) {
      book.add({ names: ['checkout-latency', 'checkout-errors'], cron: `${i % 60} 3 * * *`, timeZone: ZONES[i % ZONES.length]!, rotate: 'in-turn', channel: '#chaos' }, { id: 'alice' });
    }
    log(`schedules: ${SCHEDULES} added in ${(performance.now() - t0).toFixed(0)} ms`);

    const steady: number[] = [];
    for (let m = 1; m <= 30; m++) {
      now += MIN;
      const start = performance.now();
      const fired = await runner.tick(now);
      steady.push(performance.now() - start);
      if (fired.length > 0) throw new Error(`a steady tick fired ${fired.length} slots; the bench expects none`);
    }
    log(summary(`schedules: one minute's tick over ${SCHEDULES} schedules, nothing due`, steady, 'ms'));

    // The bot was down for 30 days: the first tick finds every schedule's missed slots and records one summary each.
    app.store.settings.set(LAST_TICK_KEY, String(Math.floor(now / MIN) * MIN));
    now += 30 * DAY;
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const start = performance.now();
    const results = await runner.tick(now);
    const ms = performance.now() - start;
    loop.disable();
    const skipped = results.filter((r) => r.outcome === 'skipped').length;
    log(`schedules: first tick after 30 days down over ${SCHEDULES} schedules: ${ms.toFixed(0)} ms (${skipped} missed-run summaries recorded, nothing fired late)`);
    // What an abort or a Slack ack arriving meanwhile would wait for at most.
    log(`schedules: longest event-loop stall during that tick: ${(loop.max / 1e6).toFixed(1)} ms (p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms)`);
  } finally {
    await app.shutdown('bench finished');
    rmSync(dir, { recursive: true, force: true });
  }
}
