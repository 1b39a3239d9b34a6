import type { IncomingMessage, ServerResponse } from 'node:http';

/** Same shape as Bolt's CustomRoute, so the routes serve in HTTP mode and on our own server alike. */
export interface OpsRoute {
  path: string;
  method: string | string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** `GET /healthz`: 200 while the bot can read its own store, 503 otherwise; the body says what runs. */
export function healthRoute(status: () => Record<string, unknown>): OpsRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      try {
        sendJson(res, 200, { ok: true, ...status() });
      } catch (err) {
        sendJson(res, 503, { ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    },
  };
}
