import { ErrorCode, type WebClient } from '@slack/web-api';
import { withSubject, type Message } from '../../../core/message.js';
import type { AdapterLogger, MessageRef } from '../../../core/ports.js';
import { FaultlineError, wrapError } from '../../../core/errors.js';
import type { ChatFile, ChatPort } from '../../../core/ports.js';
import { messageToBlocks } from './blocks.js';
import { SlackPeople } from './people.js';

/**
 * The engine's chat port over the Slack Web API: a post is a channel message, an update rewrites it
 * in place (`chat.update`), a reply goes into its thread. Outages are the WebClient's retry policy's
 * business; a 429 on a post or reply is waited out here (Retry-After), a 429 on chat.update goes back to
 * the engine's Notifier, which sends the card's newest state when the wait ends. Neither is on its path.
 */
export class SlackChat implements ChatPort {
  /** Each person's DM channel, once opened. */
  private readonly ims = new Map<string, string>();
  /** Names and people by email (users.info, users.lookupByEmail; cached): one cache for the port and the handlers. */
  readonly people: SlackPeople;

  constructor(
    private readonly client: WebClient,
    private readonly opts: { maxRateLimitWaitMs: number; log: AdapterLogger; sleep?: (ms: number) => Promise<void> } = { maxRateLimitWaitMs: 15 * 60_000, log: silent },
  ) {
    this.people = new SlackPeople(client, opts.log);
  }

  /** The workspace member with this email; needs `users:read.email` (see SlackPeople.byEmail). */
  async userByEmail(email: string): Promise<string | undefined> {
    return (await this.people.byEmail(email))?.userId;
  }

  /**
   * Waits out 429s exactly as long as Slack asks, as often as it asks, up to a generous bound. With
   * `wait: false` a 429 rejects at once, its Retry-After in `details.retryAfterMs`: the caller waits
   * and decides what to send then (the Notifier sends a card's newest state, not the one refused).
   */
  private async call<T>(what: string, details: Record<string, unknown>, fn: () => Promise<T>, wait = true): Promise<T> {
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = Date.now() + this.opts.maxRateLimitWaitMs;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        const retryAfter = (err as { code?: string; retryAfter?: number }).code === ErrorCode.RateLimitedError ? (err as { retryAfter: number }).retryAfter : undefined;
        if (retryAfter !== undefined && !wait) throw wrapError('adapter_error', `${what} failed`, err, { ...details, retryAfterMs: Math.max(1, retryAfter) * 1000 });
        // Slack's own refusal (`not_in_channel`, `channel_not_found`) travels along for the engine to explain.
        const chatError = (err as { data?: { error?: string } }).data?.error;
        if (retryAfter === undefined || Date.now() + retryAfter * 1000 > deadline) throw wrapError('adapter_error', `${what} failed`, err, { ...details, ...(chatError ? { chatError } : {}) });
        this.opts.log.info({ ...details, what, retryAfter }, 'slack rate limited; waiting');
        await sleep(Math.max(1, retryAfter) * 1000);
      }
    }
  }

  /** In the channel a reply's subject (its experiment) is said; inside the thread it goes without saying. */
  async post(channel: string, msg: Message): Promise<MessageRef> {
    const { text, blocks } = messageToBlocks(withSubject(msg));
    const res = await this.call(`chat.postMessage to ${channel}`, { channel }, () => this.client.chat.postMessage({ channel, text, blocks, unfurl_links: false }));
    return { channel: res.channel ?? channel, ts: String(res.ts) };
  }

  /** A 429 is not waited out here: it rejects with `retryAfterMs`, and the Notifier sends the newest state after it. */
  async update(ref: MessageRef, msg: Message): Promise<void> {
    const { text, blocks } = messageToBlocks(msg);
    await this.call(`chat.update of ${ref.channel}/${ref.ts}`, { ...ref }, () => this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks }), false);
  }

  /** `chat.getPermalink`; undefined when Slack will not say (the link is a courtesy, never required). */
  async permalink(ref: MessageRef): Promise<string | undefined> {
    try {
      const res = await this.client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
      return res.permalink;
    } catch (err) {
      this.opts.log.debug({ ...ref, err }, 'no permalink for the card');
      return undefined;
    }
  }

  async reply(ref: MessageRef, msg: Message): Promise<MessageRef> {
    const { text, blocks } = messageToBlocks(msg);
    const res = await this.call(`thread reply in ${ref.channel}/${ref.ts}`, { ...ref }, () =>
      this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, blocks, unfurl_links: false }),
    );
    return { channel: res.channel ?? ref.channel, ts: String(res.ts) };
  }

  /**
   * People's messages in `channel` between two times, oldest first: `conversations.history` (every
   * page), and the replies of threads in it (`conversations.replies`, the drill's announcement
   * among them: responders often answer there). Bots' messages and joins are left out. Needs
   * `channels:history` (`groups:history` for a private channel).
   */
  async history(channel: string, fromMs: number, toMs: number): Promise<Array<{ user: string; text: string; at: number }>> {
    const oldest = (fromMs / 1000).toFixed(6);
    const latest = (toMs / 1000).toFixed(6);
    type Msg = { ts?: string; user?: string; text?: string; bot_id?: string; subtype?: string; reply_count?: number; thread_ts?: string };
    const out = new Map<string, { user: string; text: string; at: number }>();
    const keep = (m: Msg) => {
      if (!m.ts || !m.user || m.bot_id || (m.subtype && m.subtype !== 'thread_broadcast')) return;
      const at = Number(m.ts) * 1000;
      if (at >= fromMs && at <= toMs) out.set(m.ts, { user: m.user, text: m.text ?? '', at });
    };
    const threads: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await this.call(`conversations.history of ${channel}`, { channel }, () =>
        this.client.conversations.history({ channel, oldest, latest, inclusive: true, limit: 200, ...(cursor ? { cursor } : {}) }),
      );
      for (const m of (res.messages ?? []) as Msg[]) {
        keep(m);
        if ((m.reply_count ?? 0) > 0 && m.ts) threads.push(m.ts);
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!res.has_more || !cursor) break;
    }
    for (const ts of threads.slice(0, 20)) {
      const res = await this.call(`conversations.replies of ${channel}/${ts}`, { channel, ts }, () => this.client.conversations.replies({ channel, ts, oldest, latest, inclusive: true, limit: 200 }));
      for (const m of (res.messages ?? []) as Msg[]) keep(m);
    }
    return [...out.values()].sort((a, b) => a.at - b.at);
  }

  /**
   * A direct message from the app: `conversations.open` with the one user (its DM channel, kept), then
   * a post there. Needs `im:write`.
   */
  async direct(user: string, msg: Message): Promise<MessageRef> {
    let channel = this.ims.get(user);
    if (!channel) {
      const res = await this.call(`conversations.open with ${user}`, { user }, () => this.client.conversations.open({ users: user }));
      channel = res.channel?.id;
      if (!channel) throw new FaultlineError('adapter_error', `conversations.open with ${user} answered no channel`, { user });
      this.ims.set(user, channel);
    }
    return this.post(channel, msg);
  }

  /**
   * The file into the card's thread with `files.uploadV2` (getUploadURLExternal, the bytes to the
   * upload URL, completeUploadExternal with channel and thread). Needs `files:write`; a refusal
   * (`missing_scope`, `not_in_channel`) rejects as an `adapter_error` and the Notifier falls back.
   */
  async upload(ref: MessageRef, file: ChatFile): Promise<void> {
    const bytes = file.data ?? Buffer.from(file.content, 'utf8');
    await this.call(`file upload of ${file.filename} to ${ref.channel}/${ref.ts}`, { ...ref, filename: file.filename }, () =>
      this.client.files.uploadV2({ channel_id: ref.channel, thread_ts: ref.ts, file: bytes, filename: file.filename, title: file.title }),
    );
  }
}

export interface SlackChatLinks {
  permalink(ref: MessageRef): Promise<string | undefined>;
}

const silent: AdapterLogger = { info() {}, warn() {}, error() {}, debug() {} };
