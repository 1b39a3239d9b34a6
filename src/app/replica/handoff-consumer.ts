import type { CommandGateway } from '../../../commands/command-gateway.js';
import { errorText, isFaultlineError } from '../../core/errors.js';
import { errorMessage, message } from '../../core/message.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { FenceToken } from '../../store/leases.js';
import type { HandoffRow, ReplicaDb } from '../../store/postgres/replica-db.js';
import { Handoff } from './handoff-gateway.js';

type RunHandoff = Extract<Handoff, { kind: 'run' }>;
type DryRunHandoff = Extract<Handoff, { kind: 'dry-run' }>;

/** What the leader does with pipeline runs handed to it (app/replica/pipeline-desk.ts). */
export interface PipelineDesk {
  launch(h: RunHandoff): Promise<unknown>;
  dryRun(h: DryRunHandoff): Promise<unknown>;
}

/** How often the leader looks for handed-over commands besides being woken by NOTIFY. */
const POLL_MS = 1000;
/** Answered and withdrawn hand-overs are kept this long (for support), then deleted. */
const KEEP_MS = 60 * 60_000;

/**
 * The leader's side of the hand-over: takes what followers queued (abort and halt first), runs each
 * through this process's commands as if typed here, and stores the answer for the follower. A
 * command older than `staleMs` that is not urgent is answered as too late instead of being run:
 * its follower has told the person it was not taken.
 */
export class HandoffConsumer {
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();
  private lastPurge = 0;
  private serial: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      db: ReplicaDb;
      token: FenceToken;
      commands: CommandGateway;
      homeOpened: (user: string) => void;
      /** Pipeline runs (`faultline run` on replicas); their answers are JSON, not chat messages. */
      pipeline?: PipelineDesk;
      log: AdapterLogger;
      staleMs: number;
      now?: () => number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.wake();
  }

  /** A command was queued (NOTIFY), or the poll came round. */
  wake(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.draining;
    await Promise.allSettled([...this.inFlight]);
  }

  private async drain(): Promise<void> {
    const now = this.deps.now ?? Date.now;
    for (;;) {
      if (this.stopped) return;
      let row: HandoffRow | null;
      try {
        row = await this.deps.db.take(this.deps.token);
      } catch (err) {
        this.deps.log.warn({ err }, 'taking handed-over commands failed');
        return;
      }
      if (!row) break;
      // An abort or a halt runs at once, never behind a slow command; the others run one after the
      // other in the order they were queued (an approve typed before a start is run before it).
      const taken = row;
      const run = () => this.handle(taken, now());
      // A command that failed never holds up the ones queued after it.
      const job = (taken.urgent ? run() : (this.serial = this.serial.catch(() => undefined).then(run))).finally(() => this.inFlight.delete(job));
      this.inFlight.add(job);
    }
    if (now() - this.lastPurge > KEEP_MS / 4) {
      this.lastPurge = now();
      await this.deps.db.purge(now() - KEEP_MS).catch((err: unknown) => this.deps.log.warn({ err }, 'purging old hand-overs failed'));
    }
  }

  private async handle(row: HandoffRow, now: number): Promise<void> {
    const { db, log } = this.deps;
    const parsed = Handoff.safeParse(row.payload);
    if (!parsed.success) {
      log.warn({ handoff: row.id }, 'a handed-over command had an unreadable form; answered as refused');
      await db.complete(row.id, errorMessage('replica_unavailable', 'The leader could not read your command', ['Check that every replica runs the same version.'])).catch(() => undefined);
      return;
    }
    const h = parsed.data;
    if (h.kind === 'home_opened') {
      this.deps.homeOpened(h.user);
      await db.complete(row.id, message({ title: 'App Home published', ephemeral: true })).catch(() => undefined);
      return;
    }
    if (h.kind === 'run' || h.kind === 'dry-run') {
      const desk = this.deps.pipeline;
      let reply: unknown;
      try {
        if (!desk) throw new Error('this leader takes no pipeline runs');
        reply = h.kind === 'run' ? await desk.launch(h) : await desk.dryRun(h);
      } catch (err) {
        reply = { error: { code: isFaultlineError(err) ? err.code : 'replica_unavailable', message: errorText(err) } };
      }
      log.info({ handoff: row.id, kind: h.kind, playbook: h.playbook }, 'handed-over pipeline run answered');
      await db.complete(row.id, reply).catch((err: unknown) => log.warn({ err, handoff: row.id }, 'storing the answer of a pipeline run failed'));
      return;
    }
    if (!row.urgent && now - row.createdAt > this.deps.staleMs) {
      await db.complete(row.id, errorMessage('replica_unavailable', "Your command wasn't taken: it reached the leader too late", ['Nothing was done.', 'What to do: try again.'])).catch(() => undefined);
      return;
    }
    let reply;
    try {
      reply = await this.deps.commands.run(h.line, h.actor, h.channel, { urgent: row.urgent });
    } catch (err) {
      reply = errorMessage('replica_unavailable', 'The leader failed to run your command', [errorText(err)]);
    }
    log.info({ handoff: row.id, line: h.line, actor: h.actor.id, waitedMs: now - row.createdAt }, 'handed-over command answered');
    await db.complete(row.id, reply).catch((err: unknown) => log.warn({ err, handoff: row.id }, 'storing the answer of a handed-over command failed'));
  }
}
