import { createServer, type Server } from 'node:http';
import type { OpsRoute } from './ops-routes.js';
import { sendJson } from './ops-routes.js';

/**
 * The small HTTP server for health (and later webhooks and metrics) when Slack runs over Socket
 * Mode and so has no HTTP server of its own.
 */
export async function startOpsServer(routes: readonly OpsRoute[], host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routes.find((r) => r.path === path && (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase()).includes(method));
    if (!route) return sendJson(res, 404, { error: 'not_found' });
    route.handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = addr && typeof addr === 'object' ? addr.port : port;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
