import type { CommandGateway } from '../../../commands/command-gateway.js';
import type { Actor } from '../../core/actor.js';
import type { Message } from '../../core/message.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { FenceToken } from '../../store/leases.js';
import { CHANNELS, ReplicaDb } from '../../store/postgres/replica-db.js';
import type { Config } from '../config.js';
import { LeaderElection, replicaName, type ReplicaRole } from './election.js';
import { HandoffConsumer, type PipelineDesk } from './handoff-consumer.js';
import { HandoffGateway } from './handoff-gateway.js';

/** The exit code of a replica that lost its lease (EX_TEMPFAIL): its supervisor starts it again, as a follower. */
export const LEADERSHIP_LOST_EXIT = 75;

/** What this replica is doing, for /readyz and /healthz. */
export interface Readiness {
  ready: boolean;
  role: ReplicaRole;
  holder: string;
  epoch?: number;
  database: 'ok' | 'unreachable';
}

/** What a replica does once it leads: its own commands and Home, given by the app it then builds. */
export interface Leading {
  commands: CommandGateway;
  homeOpened(user: string): void;
  /** Pipeline runs handed over by `faultline run`. */
  pipeline?: PipelineDesk;
}

/**
 * One replica of several on a PostgreSQL store: it takes part in the election, answers chat through
 * `commands` (the engine here once it leads; the leader, through the database, until then), and
 * listens for what the others say (a command queued, an answer stored, the lease let go).
 */
export class ReplicaNode {
  readonly db: ReplicaDb;
  readonly election: LeaderElection;
  private readonly handoffs: HandoffGateway;
  private leading: Leading | null = null;
  private consumer: HandoffConsumer | null = null;
  private listener: { close(): Promise<void> } | null = null;
  private lastPing: { at: number; ok: boolean } = { at: 0, ok: false };

  constructor(
    url: string,
    settings: Config['replicas'],
    private readonly log: AdapterLogger,
    holder: string = replicaName(),
  ) {
    this.db = new ReplicaDb(url);
    this.election = new LeaderElection(this.db, holder, { leaseTtlMs: settings.leaseTtl, renewEveryMs: settings.renewEvery, pollEveryMs: settings.pollEvery }, log);
    this.handoffs = new HandoffGateway(this.db, { waitMs: settings.handoffWait, leaseTtlMs: settings.leaseTtl }, log);
    this.staleMs = 2 * settings.handoffWait;
  }

  private readonly staleMs: number;

  /** Commands of this replica's chat: run here while it leads, handed to the leader otherwise. */
  readonly commands: CommandGateway = {
    run: (line: string, actor: Actor, channel: string, opts: { urgent: boolean }): Promise<Message> =>
      (this.leading && this.election.role === 'leader' ? this.leading.commands : this.handoffs).run(line, actor, channel, opts),
  };

  /** Someone opened the App Home here: published here while leading, by the leader otherwise. */
  homeOpened(user: string): void {
    if (this.leading && this.election.role === 'leader') this.leading.homeOpened(user);
    else this.handoffs.homeOpened(user);
  }

  /** Joins: listens, then asks for the lease (now and every `pollEvery`). */
  start(): void {
    this.listener = this.db.listen(
      (channel, payload) => {
        if (channel === CHANNELS.replies) this.handoffs.replied(Number(payload));
        else if (channel === CHANNELS.commands) this.consumer?.wake();
        else if (channel === CHANNELS.lease) this.election.wake();
      },
      (err) => this.log.warn({ err }, 'the LISTEN connection to PostgreSQL dropped; connecting again'),
    );
    this.election.start();
  }

  /** This replica leads now with what it built: it takes the followers' commands from here on. */
  lead(token: FenceToken, leading: Leading): void {
    this.leading = leading;
    this.consumer = new HandoffConsumer({
      db: this.db,
      token,
      commands: leading.commands,
      homeOpened: (u) => leading.homeOpened(u),
      ...(leading.pipeline ? { pipeline: leading.pipeline } : {}),
      log: this.log,
      staleMs: this.staleMs,
    });
    this.consumer.start();
  }

  /** Whether it can serve: the database answers (asked at most once a second) and it leads or follows. */
  async readiness(now: number = Date.now()): Promise<Readiness> {
    if (now - this.lastPing.at > 1000) this.lastPing = { at: now, ok: await this.db.ping() };
    const role = this.election.role;
    const token = this.election.token;
    const database = this.lastPing.ok ? 'ok' : 'unreachable';
    // A leader is ready once it has built its engine (recovery done); a follower as soon as it listens.
    const serving = role === 'follower' || (role === 'leader' && this.leading !== null);
    return { ready: this.lastPing.ok && serving, role, holder: this.election.holder, ...(token && role === 'leader' ? { epoch: token.epoch } : {}), database };
  }

  /** Stops taking commands and leaves the election; a leader lets its lease go when `release`. */
  async stop(opts: { release: boolean }): Promise<void> {
    await this.consumer?.stop();
    await this.election.stop(opts);
    await this.listener?.close();
    await this.db.close();
  }
}
