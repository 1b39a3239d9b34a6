import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Slack's window: a request dated further than this from our clock, either way, is refused. */
export const REPLAY_WINDOW_MS = 5 * 60_000;

/** How long a click or command is remembered, so Slack's own redelivery (re-signed) acts once. */
export const INTERACTION_TTL_MS = 30 * 60_000;

/**
 * Where seen keys live: the store (`store.seenRequests`), shared across restarts and processes; on
 * replicas the same table through the asynchronous replica connection.
 */
export interface SeenKeys {
  firstTime(key: string, now: number, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * One signed HTTP request as Slack sent it. Its identity is what Slack signed: the timestamp and
 * the body (`v0:<ts>:<body>`); a replay of the same bytes has the same identity, a new request does
 * not. Retries say so in `X-Slack-Retry-Num`, which is not signed.
 */
export interface SignedRequest {
  timestampSec: number;
  /** sha256 of `v0:<timestamp>:<raw body>`, the string Slack signs. */
  bodyHash: string;
  retryNum?: number;
}

/** What to do with a request: act on it, acknowledge it without acting (a retry), or refuse it. */
export type RequestVerdict =
  | { action: 'act' }
  | { action: 'ack'; why: 'retry of a request already acknowledged' }
  | { action: 'refuse'; code: 'request_replayed' | 'request_future'; why: string };

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The identity of a request whose signature Bolt verified; undefined without a usable timestamp. */
export function signedRequestOf(req: { headers: IncomingHttpHeaders; rawBody: Buffer }): SignedRequest | undefined {
  const ts = Number(header(req.headers, 'x-slack-request-timestamp'));
  if (!Number.isInteger(ts)) return undefined;
  const bodyHash = createHash('sha256').update(`v0:${ts}:`).update(req.rawBody).digest('hex');
  const retry = Number.parseInt(header(req.headers, 'x-slack-retry-num') ?? '', 10);
  return { timestampSec: ts, bodyHash, ...(Number.isInteger(retry) ? { retryNum: retry } : {}) };
}

/**
 * Remembers what was handled, in the store, for as long as it could come again: a signed request
 * until its timestamp leaves Slack's five-minute window (Bolt refuses it as stale after that), a
 * click or command for thirty minutes. A bot that restarted therefore still knows what it acted on.
 */
export class ReplayGuard {
  constructor(
    private readonly seen: SeenKeys,
    private readonly now: () => number = Date.now,
    private readonly interactionTtlMs = INTERACTION_TTL_MS,
  ) {}

  /**
   * A request dated more than five minutes ahead is refused (Bolt only refuses old ones). One seen
   * before is acknowledged without acting when Slack marks it a retry, and refused otherwise (a replay).
   */
  async request(req: SignedRequest): Promise<RequestVerdict> {
    const t = this.now();
    const at = req.timestampSec * 1000;
    if (at - t > REPLAY_WINDOW_MS) {
      return { action: 'refuse', code: 'request_future', why: `X-Slack-Request-Timestamp is ${Math.round((at - t) / 1000)} s ahead of this clock (at most ${REPLAY_WINDOW_MS / 1000} s)` };
    }
    // Kept until Bolt would refuse the timestamp as stale anyway; never less than a moment.
    const expiresAt = Math.max(at + REPLAY_WINDOW_MS, t + 1000);
    if (await this.seen.firstTime(`request:${req.bodyHash}`, t, expiresAt)) return { action: 'act' };
    if (req.retryNum !== undefined) return { action: 'ack', why: 'retry of a request already acknowledged' };
    return { action: 'refuse', code: 'request_replayed', why: 'this signed request was handled before' };
  }

  /** True the first time an interaction is offered; false for every repeat while it is remembered. */
  async firstTime(key: string): Promise<boolean> {
    const t = this.now();
    return await this.seen.firstTime(`interaction:${key}`, t, t + this.interactionTtlMs);
  }
}

/** The identity of one interaction, as Slack sends it again on a retry. */
export function interactionKey(body: Record<string, unknown>): string | undefined {
  if (typeof body.command === 'string') return typeof body.trigger_id === 'string' ? `command:${body.trigger_id}` : undefined;
  if (body.type === 'block_actions') {
    const user = (body.user as { id?: string } | undefined)?.id ?? '?';
    const action = (body.actions as Array<{ action_id?: string; action_ts?: string }> | undefined)?.[0];
    return action?.action_ts ? `action:${user}:${action.action_id}:${action.action_ts}` : undefined;
  }
  // A message shortcut ("Add to game day") carries no trigger of its own that Slack repeats but its
  // action_ts: the same click redelivered has the same one, another click a new one.
  if (body.type === 'message_action') {
    const user = body.user as { id?: string; team_id?: string } | undefined;
    const team = (body.team as { id?: string } | undefined)?.id ?? user?.team_id ?? '?';
    const actionTs = typeof body.action_ts === 'string' ? body.action_ts : undefined;
    const callback = typeof body.callback_id === 'string' ? body.callback_id : '?';
    return actionTs ? `shortcut:${team}:${user?.id ?? '?'}:${callback}:${actionTs}` : undefined;
  }
  if (body.type === 'view_submission') {
    const view = body.view as { id?: string; hash?: string } | undefined;
    return view?.id ? `view:${view.id}:${view.hash ?? ''}` : undefined;
  }
  return undefined;
}
