import { LogLevel, type Logger } from '@slack/bolt';
import type { Logger as Pino } from 'pino';

/** Bolt's logger interface over our pino logger, so Slack's own logs are JSON like ours. */
export function boltLogger(log: Pino): Logger {
  const child = log.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const line = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...args: unknown[]) => child.debug({ bolt: line(args) }, 'bolt'),
    info: (...args: unknown[]) => child.info({ bolt: line(args) }, 'bolt'),
    warn: (...args: unknown[]) => child.warn({ bolt: line(args) }, 'bolt'),
    error: (...args: unknown[]) => child.error({ bolt: line(args) }, 'bolt'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
