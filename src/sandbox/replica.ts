/**
 * One replica of the sandbox's "checkout" service. Run as a child process by the supervisor:
 * it listens on 127.0.0.1 port 0, reports its port over IPC, answers any path with a little JSON
 * after a few ms of work, and exits as soon as its parent goes away (no orphans).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

/** argv marker: the module only starts a server when forked with it, never when imported. */
export const REPLICA_MARKER = '--faultline-replica';

export interface ReplicaOptions {
  service: string;
  replica: number;
  host: string;
  minWorkMs: number;
  maxWorkMs: number;
}

export function startReplicaServer(opts: ReplicaOptions, onListening: (port: number) => void) {
  let served = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const work = opts.minWorkMs + Math.random() * Math.max(0, opts.maxWorkMs - opts.minWorkMs);
    setTimeout(() => {
      served += 1;
      const body = JSON.stringify({
        ok: true,
        service: opts.service,
        replica: opts.replica,
        pid: process.pid,
        method: req.method,
        path: req.url,
        served,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, work);
  });
  server.keepAliveTimeout = 5_000;
  server.listen(0, opts.host, () => {
    const addr = server.address();
    if (addr && typeof addr === 'object') onListening(addr.port);
  });
  return server;
}

function runAsChild(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      service: { type: 'string', default: 'checkout' },
      replica: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'faultline-replica': { type: 'boolean' },
    },
    strict: false,
  });
  const opts: ReplicaOptions = {
    service: String(values.service),
    replica: Number(values.replica),
    host: String(values.host),
    minWorkMs: 2,
    maxWorkMs: 6,
  };
  // The supervisor owns this process: when the IPC channel closes (stop, crash, SIGKILL of the
  // parent), there is nobody left to route traffic here, so leave at once.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  // Ctrl-C reaches the whole process group: let the supervisor decide, it kills us on stop.
  process.on('SIGINT', () => undefined);
  startReplicaServer(opts, (port) => {
    process.send?.({ type: 'ready', port, pid: process.pid });
  });
}

if (process.send && process.argv.includes(REPLICA_MARKER)) runAsChild();
