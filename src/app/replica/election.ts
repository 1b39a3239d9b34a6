import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { errorText, FaultlineError } from '../../core/errors.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { FenceToken } from '../../store/leases.js';
import type { ReplicaDb } from '../../store/postgres/replica-db.js';

export interface ElectionSettings {
  leaseTtlMs: number;
  renewEveryMs: number;
  pollEveryMs: number;
}

export type ReplicaRole = 'follower' | 'leader' | 'lost' | 'stopped';

/** This process's name in the lease: the host (the pod's name in Kubernetes), the pid, and a nonce. */
export function replicaName(): string {
  return `${os.hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

/**
 * Leader election on a lease row in PostgreSQL. Why a row and not an advisory lock: a session lock
 * lives as long as its connection, and a leader that is paused (SIGSTOP, a long GC, a frozen VM)
 * keeps its connection, so it would never lose the lock. A lease with an expiry by the server's clock
 * is lost by time alone; its epoch goes up at every takeover and fences the old leader's effects.
 *
 * The leader counts its lease from the moment it *sent* the renewal, on the monotonic clock, minus
 * a margin: it stops acting before the database could let anyone else take over.
 */
export class LeaderElection {
  private current: ReplicaRole = 'follower';
  private tokenHeld: FenceToken | null = null;
  /** performance.now() after which this replica must not act, even if nobody has said so yet. */
  private deadline = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private trying = false;
  private lastFailure = '';
  private readonly leaders: Array<(token: FenceToken) => void> = [];
  private readonly losers: Array<(why: string) => void> = [];
  private readonly margin: number;

  constructor(
    private readonly db: ReplicaDb,
    readonly holder: string,
    private readonly settings: ElectionSettings,
    private readonly log: AdapterLogger,
    private readonly now: () => number = Date.now,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.margin = Math.min(1000, settings.leaseTtlMs / 10);
  }

  get role(): ReplicaRole {
    return this.current;
  }

  get token(): FenceToken | null {
    return this.tokenHeld;
  }

  onLeader(fn: (token: FenceToken) => void): void {
    this.leaders.push(fn);
  }

  onLost(fn: (why: string) => void): void {
    this.losers.push(fn);
  }

  /** Tries for the lease now and then every `pollEvery` until it has it. */
  start(): void {
    this.schedule(0);
  }

  /** A lease let go somewhere (NOTIFY): try at once instead of at the next poll. */
  wake(): void {
    if (this.current === 'follower') this.schedule(0);
  }

  /**
   * Throws `leader_fenced` unless this replica leads and its lease has time left on this clock. No
   * I/O: it holds even while the database is unreachable and the first timer after a pause fires.
   */
  assertLeading(): FenceToken {
    if (this.current !== 'leader' || !this.tokenHeld) throw new FaultlineError('leader_fenced', `this replica (${this.holder}) does not lead`, { role: this.current });
    if (this.monotonic() >= this.deadline) {
      this.lose('its lease ran out before it could renew it');
      throw new FaultlineError('leader_fenced', `this replica's lease ran out (${this.holder}, epoch ${this.tokenHeld.epoch})`, { epoch: this.tokenHeld.epoch });
    }
    return this.tokenHeld;
  }

  /** This replica leads no more (its lease ran out, or another holds it): it acts on nothing from now on. */
  lose(why: string): void {
    if (this.current !== 'leader') return;
    this.current = 'lost';
    this.clearTimers();
    this.log.error({ holder: this.holder, epoch: this.tokenHeld?.epoch, why }, 'leadership lost');
    for (const fn of this.losers) fn(why);
  }

  /** Stops trying; a leader lets its lease go so a follower takes over without waiting it out. */
  async stop(opts: { release: boolean }): Promise<void> {
    const token = this.current === 'leader' ? this.tokenHeld : null;
    this.current = 'stopped';
    this.clearTimers();
    if (token && opts.release) {
      await this.db.release(token).then(
        () => this.log.info({ holder: this.holder, epoch: token.epoch }, 'leader lease released'),
        (err: unknown) => this.log.warn({ err }, 'releasing the leader lease failed; it expires by itself'),
      );
    }
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void (this.current === 'leader' ? this.renew() : this.tryAcquire()), ms);
  }

  private async tryAcquire(): Promise<void> {
    if (this.current !== 'follower' || this.trying) return;
    this.trying = true;
    const sentAt = this.monotonic();
    try {
      const epoch = await this.db.acquire(this.holder, this.settings.leaseTtlMs, this.now());
      if (epoch !== null && this.current !== 'follower') {
        // Stopped while the acquire was on its way: let go at once, so nobody waits out a lease nobody uses.
        await this.db.release({ holder: this.holder, epoch }).catch((err: unknown) => this.log.warn({ err }, 'releasing a lease taken while stopping failed; it expires by itself'));
        return;
      }
      if (epoch !== null) {
        this.tokenHeld = { holder: this.holder, epoch };
        this.current = 'leader';
        this.extend(sentAt);
        this.log.warn({ holder: this.holder, epoch }, 'became leader');
        this.schedule(this.settings.renewEveryMs);
        for (const fn of this.leaders) fn(this.tokenHeld);
        return;
      }
    } catch (err) {
      // Said once per kind of failure, not at every poll.
      const said = errorText(err);
      if (said !== this.lastFailure) this.log.warn({ err }, 'asking for the leader lease failed');
      this.lastFailure = said;
    } finally {
      this.trying = false;
    }
    if (this.current === 'follower') this.schedule(this.settings.pollEveryMs);
  }

  private async renew(): Promise<void> {
    const token = this.tokenHeld;
    if (this.current !== 'leader' || !token) return;
    const sentAt = this.monotonic();
    try {
      const held = await this.db.renew(token, this.settings.leaseTtlMs);
      if (this.current !== 'leader') return;
      if (!held) return this.lose('another replica holds the lease');
      this.extend(sentAt);
    } catch (err) {
      // Not lost while the lease has time left on this clock; the watchdog says when it has none.
      if (this.monotonic() >= this.deadline) return this.lose('its lease ran out while the database did not answer');
      this.log.warn({ err, leftMs: Math.round(this.deadline - this.monotonic()) }, 'renewing the leader lease failed');
    }
    if (this.current === 'leader') this.schedule(this.settings.renewEveryMs);
  }

  private extend(sentAt: number): void {
    this.deadline = sentAt + this.settings.leaseTtlMs - this.margin;
    this.armWatchdog();
  }

  /** Fires at the deadline; a timer that came a moment early (timers are not exact) sets itself again. */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.current !== 'leader') return;
      if (this.monotonic() >= this.deadline) this.lose('its lease ran out before it could renew it');
      else this.armWatchdog();
    }, Math.max(0, this.deadline - this.monotonic()) + 1);
  }
}
