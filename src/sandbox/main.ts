/**
 * Standalone sandbox: `tsx src/sandbox/main.ts --proxy-port 0 --admin-port 0 --replicas 3 --rps 30`.
 * Prints one JSON line `{"event":"sandbox-ready",...}` on stdout when ready; logs go to stderr.
 * Stops cleanly on SIGINT/SIGTERM, and when stdin closes if `--exit-on-stdin-close` is given.
 */
import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { startSandbox, type Sandbox } from './sandbox.js';
import { errorText } from '../core/errors.js';

const USAGE = `usage: main.ts [--host 127.0.0.1] [--proxy-port 7070] [--admin-port 7071] [--replicas 3]
               [--service checkout] [--rps 30] [--upstream-timeout-ms 2000] [--stats-window 10]
               [--log-level info] [--exit-on-stdin-close]`;

function intOption(values: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in ${min}..${max}, got "${String(raw)}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      'proxy-port': { type: 'string' },
      'admin-port': { type: 'string' },
      replicas: { type: 'string' },
      service: { type: 'string' },
      rps: { type: 'string' },
      'upstream-timeout-ms': { type: 'string' },
      'stats-window': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      'exit-on-stdin-close': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  const log = pino({ name: 'faultline-sandbox', level: values['log-level'] }, destination({ dest: 2, sync: true }));
  let sandbox: Sandbox | undefined;
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'sandbox shutting down');
    const force = setTimeout(() => {
      log.error({ why }, 'sandbox did not stop in time; exiting');
      process.exit(1);
    }, 5_000);
    force.unref();
    void (sandbox?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'sandbox stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  if (values['exit-on-stdin-close']) {
    process.stdin.on('end', () => shutdown('stdin closed'));
    process.stdin.on('close', () => shutdown('stdin closed'));
    process.stdin.resume();
  }

  sandbox = await startSandbox({
    host: values.host,
    proxyPort: intOption(values, 'proxy-port', 0, 65535) ?? 7070,
    adminPort: intOption(values, 'admin-port', 0, 65535) ?? 7071,
    replicas: intOption(values, 'replicas', 1, 64),
    service: values.service,
    rps: intOption(values, 'rps', 0, 10_000),
    upstreamTimeoutMs: intOption(values, 'upstream-timeout-ms', 1, 600_000),
    statsWindowSeconds: intOption(values, 'stats-window', 1, 60),
    log,
  });
  if (stopping) {
    await sandbox.stop();
    return;
  }
  process.stdout.write(`${JSON.stringify({ event: 'sandbox-ready', proxyUrl: sandbox.proxyUrl, adminUrl: sandbox.adminUrl })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed to start: ${errorText(err)}\n${USAGE}\n`);
  process.exit(1);
});
