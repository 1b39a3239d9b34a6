import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorText } from '../core/errors.js';

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
        sendJson(res, 503, { ok: false, error: errorText(err) });
      }
    },
  };
}

/** What the bot's own routes need from the app once it is built. */
export interface OpsApp {
  metricsRoute: OpsRoute;
  webhookRoute?: OpsRoute;
}

/**
 * The bot's HTTP routes: `GET /healthz`, `GET /readyz`, `GET /metrics` and `POST /webhooks/pagerduty`. They are
 * fixed before the app exists (Bolt builds its receiver first), so each asks `app()` per request
 * and answers 503 while the bot is starting; the webhook is 404 when PagerDuty webhooks are not set up.
 */
export function botRoutes(app: () => OpsApp | undefined, status: () => Record<string, unknown>, ready?: () => Promise<{ ready: boolean }>): OpsRoute[] {
  // One process on its own store is ready once built; a replica says whether it leads or follows (replica-node.ts).
  const readiness = ready ?? (async () => ({ ready: app() !== undefined, role: 'single' }));
  return [
    healthRoute(status),
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        readiness().then(
          (r) => sendJson(res, r.ready ? 200 : 503, r),
          (err: unknown) => sendJson(res, 503, { ready: false, error: errorText(err) }),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (req, res) => {
        const live = app();
        return live ? live.metricsRoute.handler(req, res) : sendJson(res, 503, { starting: true });
      },
    },
    {
      path: '/webhooks/pagerduty',
      method: ['POST'],
      handler: (req, res) => {
        const live = app();
        return live?.webhookRoute ? live.webhookRoute.handler(req, res) : sendJson(res, live ? 404 : 503, { error: live ? 'pagerduty_not_configured' : 'starting' });
      },
    },
  ];
}
