import { createHmac } from 'node:crypto';

/**
 * Slack's request signature (docs.slack.dev/authentication/verifying-requests-from-slack):
 * 'v0=' + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed with the app's signing secret.
 */
export function slackSignature(secret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

/** A slash command body as Slack posts it: application/x-www-form-urlencoded fields. */
export function slashCommandForm(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** An interaction body as Slack posts it: one form field `payload` holding the JSON. */
export function interactionForm(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SignedPostOptions {
  secret: string;
  /** Defaults to now; pass an old one to test stale-request refusal. */
  timestampSec?: number;
  /** Overrides the computed signature; `null` omits the `X-Slack-Signature` header. */
  signature?: string | null;
  /** Sets `X-Slack-Retry-Num` (and `X-Slack-Retry-Reason`), as on Slack's redeliveries. */
  retryNum?: number;
  retryReason?: string;
  /** Defaults to form-urlencoded (commands, interactions); Events API posts use application/json. */
  contentType?: string;
}

/** POSTs `rawBody` the way Slack does, signed; resolves with status, body text and round-trip time. */
export async function postSigned(url: string, rawBody: string, opts: SignedPostOptions): Promise<{ status: number; body: string; ms: number }> {
  const timestampSec = opts.timestampSec ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {
    'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestampSec),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  const signature = opts.signature === undefined ? slackSignature(opts.secret, timestampSec, rawBody) : opts.signature;
  if (signature !== null) headers['x-slack-signature'] = signature;
  if (opts.retryNum !== undefined) headers['x-slack-retry-num'] = String(opts.retryNum);
  if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body: rawBody });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - started };
}
