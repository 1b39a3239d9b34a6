import type { Clock } from '../core/clock.js';
import type { Message } from '../core/message.js';
import type { AdapterLogger, MessageRef } from '../core/ports.js';
import type { ChatPort } from './chat-port.js';

/**
 * The engine's side of chat. Nothing here is awaited by the experiment loop: posts go onto a
 * per-experiment chain, so a slow or failing chat never delays a guardrail check or an abort.
 * Card updates are coalesced to one per `statusIntervalMs`; the latest state always wins.
 */
export class Notifier {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly pendingCard = new Map<string, { ref: MessageRef; msg: Message; timer: NodeJS.Timeout | null }>();

  constructor(
    private readonly chat: ChatPort,
    private readonly clock: Clock,
    private readonly log: AdapterLogger,
    private readonly statusIntervalMs: number,
  ) {}

  private enqueue<T>(key: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => {
      this.log.warn({ key, what, err: err instanceof Error ? err.message : String(err) }, 'chat call failed');
      return undefined;
    });
    this.chains.set(key, next);
    return next;
  }

  /** Posts a card; resolves to its ref (or undefined if chat is down). */
  postCard(experimentId: string, channel: string, msg: Message): Promise<MessageRef | undefined> {
    return this.enqueue(experimentId, 'post card', () => this.chat.post(channel, msg));
  }

  reply(experimentId: string, ref: MessageRef | null, channel: string, msg: Message): void {
    void this.enqueue(experimentId, 'thread reply', () => (ref ? this.chat.reply(ref, msg) : this.chat.post(channel, msg)));
  }

  /** Coalesced in-place update of the status card. `force` sends now (final states). */
  updateCard(experimentId: string, ref: MessageRef | null, msg: Message, force = false): void {
    if (!ref) return;
    const existing = this.pendingCard.get(experimentId);
    if (existing?.timer && !force) {
      existing.msg = msg;
      return;
    }
    if (existing?.timer) clearTimeout(existing.timer);
    const lastAt = this.lastSent.get(experimentId) ?? 0;
    const wait = force ? 0 : lastAt + this.statusIntervalMs - this.clock.now();
    const entry = { ref, msg, timer: null as NodeJS.Timeout | null };
    this.pendingCard.set(experimentId, entry);
    const send = () => {
      this.pendingCard.delete(experimentId);
      this.lastSent.set(experimentId, this.clock.now());
      void this.enqueue(experimentId, 'update card', () => this.chat.update(entry.ref, entry.msg));
    };
    if (wait <= 0) send();
    else entry.timer = setTimeout(send, wait);
  }

  private readonly lastSent = new Map<string, number>();

  /** Waits for everything queued so far (used at shutdown and by the scripted console). */
  async flush(): Promise<void> {
    for (const [id, p] of this.pendingCard) {
      if (p.timer) {
        clearTimeout(p.timer);
        this.pendingCard.delete(id);
        await this.enqueue(id, 'update card', () => this.chat.update(p.ref, p.msg));
      }
    }
    await Promise.all([...this.chains.values()]);
  }
}
