import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { destination, pino, type Logger } from 'pino';

/**
 * pino JSON logs. In the interactive console they go to a file so they do not interleave with what
 * people type; otherwise to stdout where a container runtime collects them.
 */
export function createLogger(opts: { level: string; file?: string }): Logger {
  const redact = { paths: ['*.token', '*.secret', '*.password', 'env.*'], censor: '[redacted]' };
  if (opts.file) {
    mkdirSync(path.dirname(opts.file), { recursive: true });
    return pino({ name: 'faultline', level: opts.level, redact }, destination({ dest: opts.file, sync: true, mkdir: true }));
  }
  return pino({ name: 'faultline', level: opts.level, redact });
}
