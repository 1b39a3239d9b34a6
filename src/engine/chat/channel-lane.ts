import type { Clock } from '../../core/clock.js';
import type { AdapterLogger } from '../../core/ports.js';

interface Job {
  urgent: boolean;
  what: string;
  run: () => Promise<unknown>;
  done: (value: unknown) => void;
}

export interface ChannelLaneTiming {
  /** About one post or reply per this many ms in one channel (Slack: one a second). */
  gapMs: number;
  /** How many may go out back to back after a quiet spell. */
  burst: number;
}

/**
 * The post-and-reply lane of one channel: in order (a thread reads in order), smoothed by a token
 * bucket to about one call per `gapMs`, independent of card updates (a 429 on chat.update never
 * holds it). Urgent jobs (abort and halt answers) go to the front, behind only earlier urgent ones,
 * and skip the smoothing.
 */
export class ChannelLane {
  private readonly queue: Job[] = [];
  private busy = false;
  private timer: NodeJS.Timeout | null = null;
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly channel: string,
    private readonly clock: Clock,
    private readonly log: AdapterLogger,
    private readonly timing: ChannelLaneTiming,
    private readonly onError: (what: string) => void,
    private readonly changed: () => void,
  ) {
    this.tokens = timing.burst;
    this.refilledAt = clock.now();
  }

  get idle(): boolean {
    return !this.busy && this.timer === null && this.queue.length === 0;
  }

  push<T>(what: string, run: () => Promise<T>, urgent = false): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve) => {
      const job: Job = { urgent, what, run, done: resolve as (v: unknown) => void };
      if (urgent) {
        const at = this.queue.findIndex((j) => !j.urgent);
        this.queue.splice(at === -1 ? this.queue.length : at, 0, job);
        if (this.timer) {
          clearTimeout(this.timer);
          this.timer = null;
        }
      } else {
        this.queue.push(job);
      }
      this.pump();
    });
  }

  /** Sends what waits on the smoothing now (shutdown, end of a script). */
  hurry(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.pump(true);
  }

  private refill(): void {
    const now = this.clock.now();
    const gap = Math.max(1, this.timing.gapMs);
    this.tokens = Math.min(this.timing.burst, this.tokens + (now - this.refilledAt) / gap);
    this.refilledAt = now;
  }

  private pump(now = false): void {
    if (this.busy || this.timer !== null) return;
    const job = this.queue[0];
    if (!job) return;
    this.refill();
    if (this.timing.gapMs > 0 && this.tokens < 1 && !job.urgent && !now) {
      this.timer = setTimeout(
        () => {
          this.timer = null;
          this.pump();
          this.changed();
        },
        Math.ceil((1 - this.tokens) * this.timing.gapMs),
      );
      return;
    }
    this.tokens = Math.max(0, this.tokens - 1);
    this.queue.shift();
    this.busy = true;
    void job
      .run()
      .then(
        (value) => value,
        (err: unknown) => {
          this.log.warn({ channel: this.channel, what: job.what, err }, 'chat call failed');
          this.onError(job.what);
          return undefined;
        },
      )
      .then((value) => {
        this.busy = false;
        job.done(value);
        this.pump();
        this.changed();
      });
  }
}
