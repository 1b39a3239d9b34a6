import { LogLevel, type Logger } from '@slack/bolt';
import type { Logger as Pino } from 'pino';
import { errorText } from '../../../core/errors.js';

/** Bolt's logger interface over our pino logger, so Slack's own logs are JSON like ours. */
export function boltLogger(log: Pino): Logger {
  const child = log.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const line = (args: unknown[]) => args.map((a) => (a instanceof Error || typeof a === 'string' ? errorText(a) : JSON.stringify(a))).join(' ');
  // Bolt logs on every request at debug level: format only what will be written.
  const at = (lvl: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    if (child.isLevelEnabled(lvl)) child[lvl]({ bolt: line(args) }, 'bolt');
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
