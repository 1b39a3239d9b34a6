import { startSandbox } from '../sandbox/index.js';
import { createLogger } from './logger.js';
import { errorText } from '../core/errors.js';

function port(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number 0..65535, got "${v}"`);
  return n;
}

export async function sandboxAction(o: { proxyPort: string; adminPort: string; replicas: string; rps: string }): Promise<void> {
  const log = createLogger({ level: 'warn' });
  const sandbox = await startSandbox({
    proxyPort: port('proxy-port', o.proxyPort),
    adminPort: port('admin-port', o.adminPort),
    replicas: Number(o.replicas),
    rps: Number(o.rps),
    log,
  });
  process.stdout.write(
    [
      'Faultline sandbox is running:',
      `  traffic   ${sandbox.proxyUrl}/            (the checkout service, through the fault proxy)`,
      `  stats     ${sandbox.adminUrl}/stats       (error rate and p99 over the last 10 s)`,
      `  metrics   ${sandbox.adminUrl}/metrics     (Prometheus)`,
      `  faults    ${sandbox.adminUrl}/faults      (what is injected now)`,
      'In another terminal: npm start   (the console uses this sandbox). Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const stop = () => void sandbox.stop().then(resolve, (err: unknown) => {
      process.stderr.write(`sandbox stop failed: ${errorText(err)}\n`);
      resolve();
    });
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
