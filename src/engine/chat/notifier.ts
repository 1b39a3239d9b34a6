import type { Clock } from '../../core/clock.js';
import { message, type Message } from '../../core/message.js';
import type { AdapterLogger, MessageRef } from '../../core/ports.js';
import type { ChatFile, ChatPort } from '../../core/ports.js';
import { errorText } from '../../core/errors.js';
import { CardLane } from './card-lane.js';
import { linkTo } from '../../core/mention.js';
import { ChannelLane } from './channel-lane.js';


export interface NotifierLanes {
  /** Floor between two chat.update calls of one message; default min(1 s, statusInterval). */
  updateGapMs?: number;
  /** About one post or reply per this many ms per channel; default 1 s if statusInterval is 1 s or more, else none. */
  postGapMs?: number;
  /** Posts or replies that may go back to back after a quiet spell; default 2. */
  postBurst?: number;
}

/** The chat's reason for refusing (details.chatError), else the error's text. */
function chatRefusal(err: unknown): string {
  const details = (err as { details?: { chatError?: unknown } }).details;
  return typeof details?.chatError === 'string' ? details.chatError : errorText(err);
}

/**
 * The engine's side of chat, in lanes. Nothing here is awaited by the experiment loop. Posts, thread
 * replies and uploads go through one lane per channel (in order, so a thread reads in order, smoothed
 * to about one a second; abort and halt answers go first). Card updates have a lane per card of their
 * own (card-lane.ts): coalesced to the newest state, at most one per `updateGapMs`, a 429 on chat.update
 * delays only that card's updates, and the final state is sent once. A slow, rate-limited or absent chat
 * never delays a guardrail check or an abort.
 */
export class Notifier {
  private readonly channels = new Map<string, ChannelLane>();
  private readonly cards = new Map<string, CardLane>();
  /** Where each experiment's card is, once its post has gone through. */
  private readonly refs = new Map<string, MessageRef>();
  private readonly wakers = new Set<() => void>();
  private readonly cardFailures = new Map<string, string>();
  private readonly updateGapMs: number;
  private readonly postGapMs: number;
  private readonly postBurst: number;

  constructor(
    private readonly chat: ChatPort,
    private readonly clock: Clock,
    private readonly log: AdapterLogger,
    private readonly statusIntervalMs: number,
    private readonly onError: (what: string) => void = () => {},
    lanes: NotifierLanes = {},
  ) {
    this.updateGapMs = lanes.updateGapMs ?? Math.min(1000, statusIntervalMs);
    // Slack's per-channel pace where the status interval is Slack-like (a second or more); a faster one
    // is a chat without a per-channel limit (the console, tests), and its lane only keeps the order.
    this.postGapMs = lanes.postGapMs ?? (statusIntervalMs >= 1000 ? 1000 : 0);
    this.postBurst = lanes.postBurst ?? 2;
  }

  private readonly changed = (): void => {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  };

  private enqueue<T>(channel: string, what: string, fn: () => Promise<T>, urgent = false): Promise<T | undefined> {
    let lane = this.channels.get(channel);
    if (!lane) {
      lane = new ChannelLane(channel, this.clock, this.log, { gapMs: this.postGapMs, burst: this.postBurst }, this.onError, this.changed);
      this.channels.set(channel, lane);
    }
    return lane.push(what, fn, urgent);
  }

  /** Posts a card; resolves to its ref (or undefined if chat is down). The ref is known before the next job in the lane runs. */
  postCard(key: string, channel: string, msg: Message): Promise<MessageRef | undefined> {
    // A new attempt: the last one's refusal no longer answers whether the card is out.
    this.cardFailures.delete(key);
    return this.enqueue(channel, 'post card', async () => {
      try {
        const ref = await this.chat.post(channel, msg);
        this.refs.set(key, ref);
        this.cardFailures.delete(key);
        return ref;
      } catch (err) {
        this.cardFailures.set(key, chatRefusal(err));
        throw err;
      }
    });
  }

  /** Why the last post of this card failed: the chat's own word (`not_in_channel`) where it gave one. */
  cardFailure(key: string): string | undefined {
    return this.cardFailures.get(key);
  }

  /** A link to the card's thread, where the chat has links and the card was posted. */
  async permalink(key: string, knownRef: MessageRef | null): Promise<string | undefined> {
    const ref = this.refs.get(key) ?? knownRef;
    if (!ref || !this.chat.permalink) return undefined;
    return this.chat.permalink(ref).catch(() => undefined);
  }

  /**
   * A message to one person (Slack: a DM), in that person's own lane. Where the chat has no direct
   * messages (the console) it is left out: the same news is in the thread. With `linkTo`, the message
   * ends with a link to that card's thread.
   */
  direct(user: string, msg: Message, opts: { linkTo?: { key: string; ref: MessageRef | null } } = {}): void {
    const send = this.chat.direct?.bind(this.chat);
    if (!send) return;
    void this.enqueue(`@${user}`, 'direct message', async () => {
      const link = opts.linkTo ? await this.permalink(opts.linkTo.key, opts.linkTo.ref) : undefined;
      return send(user, link ? { ...msg, sections: [...msg.sections, linkTo(link, 'Open the thread')] } : msg);
    });
  }

  /**
   * A reply in the card's thread. The ref is looked up when the reply's turn comes, so a reply
   * queued behind the card's own post still lands in its thread.
   */
  reply(key: string, knownRef: MessageRef | null, channel: string, msg: Message, opts: { urgent?: boolean } = {}): void {
    void this.enqueue(
      knownRef?.channel ?? channel,
      'thread reply',
      () => {
        const ref = this.refs.get(key) ?? knownRef;
        return ref ? this.chat.reply(ref, msg) : this.chat.post(channel, msg);
      },
      // The answer to an abort or a halt goes first in its channel (invariant 1): the caller knows which it is.
      opts.urgent ?? false,
    );
  }

  /**
   * A file in the card's thread, queued like a reply (and its ref resolved the same way). Where the
   * chat takes no files, or the upload fails (Slack without `files:write` answers `missing_scope`),
   * a thread reply names the path instead, so the file is never lost from the conversation.
   */
  upload(key: string, knownRef: MessageRef | null, channel: string, file: ChatFile): void {
    void this.enqueue(knownRef?.channel ?? channel, 'file upload', async () => {
      const ref = this.refs.get(key) ?? knownRef;
      let why = 'this chat takes no files';
      if (ref && this.chat.upload) {
        try {
          await this.chat.upload(ref, file);
          return;
        } catch (err) {
          why = errorText(err);
          this.log.warn({ channel: ref.channel, file: file.path, err: why }, 'file upload failed; posting the path');
          this.onError('file upload');
        }
      } else if (!ref) {
        why = 'the card was never posted';
      }
      const fallback = message({ tone: 'info', sections: [`📎 ${file.title}: ${file.path}`] });
      this.log.debug({ file: file.path, why }, 'file named in a reply instead of uploaded');
      return ref ? this.chat.reply(ref, fallback) : this.chat.post(channel, fallback);
    });
  }

  /**
   * In-place update of a card, coalesced: only the newest state is sent. `force` marks a final state:
   * it does not wait out the status interval (still at most one update per `updateGapMs`, still after
   * a 429's Retry-After) and, like any state, is sent once.
   */
  updateCard(key: string, knownRef: MessageRef | null, msg: Message, force = false): void {
    const ref = this.refs.get(key) ?? knownRef;
    if (!ref) return;
    const card = this.cards.get(key);
    if (card) return card.set(ref, msg, force);
    const timing = { statusIntervalMs: this.statusIntervalMs, updateGapMs: this.updateGapMs };
    const lane = new CardLane(ref, msg, this.chat, this.clock, this.log, timing, this.onError, this.changed);
    this.cards.set(key, lane);
    lane.set(ref, msg, force);
  }

  /**
   * Sends what waits on a pace now, then waits until every lane is idle (shutdown, end of a script).
   * A card held by a 429 is sent, newest state, when its Retry-After ends.
   */
  async flush(): Promise<void> {
    for (;;) {
      for (const card of this.cards.values()) card.hurry();
      for (const lane of this.channels.values()) lane.hurry();
      const busy = [...this.cards.values(), ...this.channels.values()].some((l) => !l.idle);
      if (!busy) return;
      await new Promise<void>((resolve) => this.wakers.add(resolve));
    }
  }
}
