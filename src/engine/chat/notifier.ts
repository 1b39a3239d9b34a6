import type { Clock } from '../../core/clock.js';
import { message, type Message } from '../../core/message.js';
import type { AdapterLogger, MessageRef } from '../../core/ports.js';
import type { ChatFile, ChatPort } from '../../core/ports.js';
import { errorText } from '../../core/errors.js';

interface CardState {
  ref: MessageRef;
  latest: Message;
  timer: NodeJS.Timeout | null;
  /** An update is waiting in the channel's queue; it will send whatever is latest when its turn comes. */
  queued: boolean;
  lastSent: number;
}

/**
 * The engine's side of chat. Nothing here is awaited by the experiment loop: calls go onto a queue
 * per channel (in order, so a thread reads in order), and a slow, rate-limited or absent chat only
 * delays the channel, never a guardrail check or an abort. Card updates are coalesced: at most one
 * per card per `statusIntervalMs`, and at most one waiting in the queue, which sends the latest state.
 */
export class Notifier {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly cards = new Map<string, CardState>();
  /** Where each experiment's card is, once its post has gone through. */
  private readonly refs = new Map<string, MessageRef>();

  constructor(
    private readonly chat: ChatPort,
    private readonly clock: Clock,
    private readonly log: AdapterLogger,
    private readonly statusIntervalMs: number,
    private readonly onError: (what: string) => void = () => {},
  ) {}

  private enqueue<T>(channel: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const prev = this.chains.get(channel) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => {
      this.log.warn({ channel, what, err }, 'chat call failed');
      this.onError(what);
      return undefined;
    });
    this.chains.set(channel, next);
    void next.then(() => {
      if (this.chains.get(channel) === next) this.chains.delete(channel);
    });
    return next;
  }

  /** Posts a card; resolves to its ref (or undefined if chat is down). */
  async postCard(key: string, channel: string, msg: Message): Promise<MessageRef | undefined> {
    const ref = await this.enqueue(channel, 'post card', () => this.chat.post(channel, msg));
    if (ref) this.refs.set(key, ref);
    return ref;
  }

  /**
   * A reply in the card's thread. The ref is looked up when the reply's turn comes, so a reply
   * queued behind the card's own post still lands in its thread.
   */
  reply(key: string, knownRef: MessageRef | null, channel: string, msg: Message): void {
    void this.enqueue(knownRef?.channel ?? channel, 'thread reply', () => {
      const ref = this.refs.get(key) ?? knownRef;
      return ref ? this.chat.reply(ref, msg) : this.chat.post(channel, msg);
    });
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

  /** Coalesced in-place update of a card. `force` sends without waiting out the interval (final states). */
  updateCard(key: string, knownRef: MessageRef | null, msg: Message, force = false): void {
    const ref = this.refs.get(key) ?? knownRef;
    if (!ref) return;
    const card = this.cards.get(key) ?? { ref, latest: msg, timer: null, queued: false, lastSent: 0 };
    card.ref = ref;
    card.latest = msg;
    this.cards.set(key, card);
    if (card.queued) return;
    if (card.timer && !force) return;
    if (card.timer) clearTimeout(card.timer);
    card.timer = null;
    const wait = force ? 0 : card.lastSent + this.statusIntervalMs - this.clock.now();
    if (wait <= 0) this.sendCard(card);
    else card.timer = setTimeout(() => this.sendCard(card), wait);
  }

  private sendCard(card: CardState): void {
    card.timer = null;
    card.queued = true;
    void this.enqueue(card.ref.channel, 'update card', () => {
      card.queued = false;
      card.lastSent = this.clock.now();
      return this.chat.update(card.ref, card.latest);
    });
  }

  /** Sends what waits on a timer now, then waits for every queue (shutdown, end of a script). */
  async flush(): Promise<void> {
    for (const card of this.cards.values()) {
      if (card.timer) {
        clearTimeout(card.timer);
        this.sendCard(card);
      }
    }
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }
}
