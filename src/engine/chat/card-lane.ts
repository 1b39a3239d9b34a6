import type { Clock } from '../../core/clock.js';
import type { Message } from '../../core/message.js';
import type { AdapterLogger, ChatPort, MessageRef } from '../../core/ports.js';

/** How long a chat call asks to be left alone (a 429's Retry-After), in ms; undefined for any other failure. */
export function retryAfterMsOf(err: unknown): number | undefined {
  const ms = (err as { details?: { retryAfterMs?: unknown } } | null)?.details?.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export interface CardLaneTiming {
  /** Soft pace of live updates (`engine.statusInterval`): a final state does not wait it out. */
  statusIntervalMs: number;
  /** Hard floor between two chat.update calls of one message (Slack: about one a second). */
  updateGapMs: number;
}

/**
 * The update lane of one card. Only the newest state is ever sent: an update that arrives while one is
 * in flight, waiting out the pace or a 429's Retry-After just replaces what will be sent when the wait
 * ends (the message is taken at send time, never the one built before the wait). A state equal to the
 * last one delivered is not sent again, so a final state goes out exactly once. A 429 delays only this
 * card's updates; any other failure is logged and the next state tries again.
 */
export class CardLane {
  private latest: Message;
  private final = false;
  private dirty = true;
  private inFlight = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastSentJson: string | null = null;
  private blockedUntil = Number.NEGATIVE_INFINITY;

  constructor(
    public ref: MessageRef,
    msg: Message,
    private readonly chat: ChatPort,
    private readonly clock: Clock,
    private readonly log: AdapterLogger,
    private readonly timing: CardLaneTiming,
    private readonly onError: (what: string) => void,
    private readonly changed: () => void,
  ) {
    this.latest = msg;
  }

  /** Nothing waits to be sent and nothing is in flight. */
  get idle(): boolean {
    return !this.dirty && !this.inFlight && this.timer === null;
  }

  set(ref: MessageRef, msg: Message, final: boolean): void {
    this.ref = ref;
    this.latest = msg;
    this.dirty = true;
    if (final && !this.final) {
      this.final = true;
      // A pending timer may wait out the soft pace: the final state need not.
      this.clearTimer();
    }
    this.pump();
  }

  /** Sends what waits on the pace now (shutdown); a 429's Retry-After is still honoured. */
  hurry(): void {
    if (this.timer === null || this.clock.now() < this.blockedUntil) return;
    this.clearTimer();
    this.pump(true);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(now = false): void {
    if (this.inFlight || this.timer !== null || !this.dirty) return;
    const at = this.clock.now();
    const gap = this.final ? this.timing.updateGapMs : Math.max(this.timing.updateGapMs, this.timing.statusIntervalMs);
    const due = Math.max(now ? Number.NEGATIVE_INFINITY : this.lastSentAt + gap, this.blockedUntil);
    if (due > at) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
        this.changed();
      }, due - at);
      return;
    }
    const msg = this.latest;
    const json = JSON.stringify(msg);
    this.dirty = false;
    if (json === this.lastSentJson) return;
    this.inFlight = true;
    this.lastSentAt = at;
    void this.chat.update(this.ref, msg).then(
      () => {
        this.lastSentJson = json;
      },
      (err: unknown) => {
        const retryAfterMs = retryAfterMsOf(err);
        if (retryAfterMs !== undefined) {
          this.blockedUntil = this.clock.now() + retryAfterMs;
          this.dirty = true; // whatever is newest when the wait ends
          this.log.info({ channel: this.ref.channel, ts: this.ref.ts, retryAfterMs }, 'card update rate limited; the newest state follows');
          return;
        }
        this.log.warn({ channel: this.ref.channel, what: 'update card', err }, 'chat call failed');
        this.onError('update card');
      },
    ).finally(() => {
      // The pace counts from the answer: the next update leaves a gap after this one reached Slack.
      this.lastSentAt = this.clock.now();
      this.inFlight = false;
      this.pump();
      this.changed();
    }).catch((err: unknown) => this.log.error({ channel: this.ref.channel, ts: this.ref.ts, err }, 'card lane failed after an update'));
  }
}
