import { createServer, type Server } from 'node:http';
import { closeServer, listenOn } from '../lib/listen.js';
import type { OpsRoute } from './ops-routes.js';
import { sendJson } from './ops-routes.js';

/**
 * The small HTTP server for `/healthz`, `/metrics` and PagerDuty webhooks when no other server
 * carries them: Slack over Socket Mode, and the console when a port is configured.
 */
export async function startOpsServer(routes: readonly OpsRoute[], host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routes.find((r) => r.path === path && (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase()).includes(method));
    if (!route) return sendJson(res, 404, { error: 'not_found' });
    route.handler(req, res);
  });
  const bound = await listenOn(server, port, host);
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`, close: () => closeServer(server) };
}
