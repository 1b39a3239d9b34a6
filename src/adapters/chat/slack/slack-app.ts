import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPModuleFunctions, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger as Pino } from 'pino';
import { FaultlineError, isFaultlineError } from '../../../core/errors.js';
import { boltLogger } from './bolt-logger.js';
import { signedRequestOf } from './replay-guard.js';
import type { SlackSecrets, SlackSettings } from './schema.js';

export interface OpsRouteLike {
  path: string;
  method: string | string[];
  handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
}

export interface SlackApp {
  mode: 'socket' | 'http';
  bolt: App;
  client: WebClient;
  /** Connects (Socket Mode) or listens (HTTP mode); resolves with the HTTP URL in HTTP mode. */
  start(): Promise<{ url?: string }>;
  stop(): Promise<void>;
}

export function slackMode(secrets: SlackSecrets, settings: SlackSettings): 'socket' | 'http' {
  const mode = settings.mode ?? (secrets.appToken ? 'socket' : secrets.signingSecret ? 'http' : undefined);
  if (mode === 'socket' && !secrets.appToken) throw new FaultlineError('config_invalid', 'Socket Mode needs SLACK_APP_TOKEN (an app-level token with connections:write)');
  if (mode === 'http' && !secrets.signingSecret) throw new FaultlineError('config_invalid', 'HTTP mode needs SLACK_SIGNING_SECRET, so requests from Slack can be verified');
  if (!mode) throw new FaultlineError('config_invalid', 'SLACK_BOT_TOKEN is set: also set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)');
  return mode;
}

/** Refusals of a verified request by our own guard (see replay-guard.ts): answered 401 like a bad signature. */
export function isRequestRefusal(err: unknown): err is FaultlineError {
  return isFaultlineError(err, 'request_replayed') || isFaultlineError(err, 'request_future');
}

/**
 * Builds the Bolt app for either transport. Signature verification stays on in HTTP mode (Bolt's
 * receiver refuses forged, missing and stale signatures); every verified request carries its
 * identity (`context.slackRequest`: timestamp and a hash of what Slack signed) to the replay guard
 * in the handlers, whose refusals are answered 401. `apiUrl` points every Web API call, including
 * Socket Mode's connection request, at a proxy or a stand-in.
 */
export function createSlackApp(opts: { secrets: SlackSecrets; settings: SlackSettings; host: string; port: number; log: Pino; routes: readonly OpsRouteLike[] }): SlackApp {
  const { secrets, settings } = opts;
  const mode = slackMode(secrets, settings);
  const logger = boltLogger(opts.log);
  const clientOptions = {
    ...(secrets.apiUrl ? { slackApiUrl: secrets.apiUrl.endsWith('/') ? secrets.apiUrl : `${secrets.apiUrl}/` } : {}),
    // Outages and 5xx: the client's backoff rides them out. A 429 comes straight back to SlackChat,
    // which waits exactly Retry-After and tries again for as long as it takes, so a rate-limit storm
    // neither burns the outage retries nor loses a thread event. A hung request times out.
    retryConfig: { retries: settings.retries, factor: 1.6, minTimeout: 1000, maxTimeout: 30_000, randomize: true },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
  };
  let server: Server | undefined;
  const receiver =
    mode === 'http'
      ? new HTTPReceiver({
          signingSecret: secrets.signingSecret!,
          endpoints: settings.endpoint,
          customRoutes: [...opts.routes],
          logger,
          signatureVerification: true,
          processBeforeResponse: false,
          customPropertiesExtractor: (req) => {
            const signed = signedRequestOf(req);
            return signed ? { slackRequest: signed } : {};
          },
          processEventErrorHandler: async (args) => {
            if (!isRequestRefusal(args.error)) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
            if (!args.response.headersSent) {
              args.response.writeHead(401);
              args.response.end();
            }
            return true;
          },
        })
      : new SocketModeReceiver({ appToken: secrets.appToken!, logger, installerOptions: { clientOptions } });
  const bolt = new App({ token: secrets.botToken, receiver, logger, clientOptions, deferInitialization: true });
  return {
    mode,
    bolt,
    client: bolt.client,
    async start() {
      await bolt.init();
      if (mode === 'socket') {
        await bolt.start();
        return {};
      }
      server = (await bolt.start({ port: opts.port, host: opts.host })) as Server;
      const addr = server.address() as AddressInfo;
      return { url: `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${addr.port}` };
    },
    async stop() {
      await bolt.stop();
    },
  };
}
