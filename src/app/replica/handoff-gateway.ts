import { z } from 'zod';
import type { CommandGateway } from '../../../commands/command-gateway.js';
import { Actor } from '../../core/actor.js';
import { formatDuration } from '../../core/duration.js';
import { errorText } from '../../core/errors.js';
import { errorMessage, Message } from '../../core/message.js';
import type { AdapterLogger } from '../../core/ports.js';
import type { ReplicaDb } from '../../store/postgres/replica-db.js';

/** What a follower hands the leader: a command line, or someone opening the App Home. */
/** The overrides of a pipeline run, as `--set` gives them. */
export const RunOverrides = z.object({ duration: z.number().int().positive().optional(), blastRadius: z.string().optional() });

export const Handoff = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('command'), line: z.string().min(1), actor: Actor, channel: z.string() }),
  z.object({ kind: z.literal('home_opened'), user: z.string().min(1) }),
  /** `faultline run` against replicas: the leader proposes (and under a standing approval starts) it. */
  z.object({ kind: z.literal('run'), playbook: z.string().min(1), overrides: RunOverrides, actor: Actor, channel: z.string().optional() }),
  z.object({ kind: z.literal('dry-run'), playbook: z.string().min(1), overrides: RunOverrides }),
]);
export type Handoff = z.infer<typeof Handoff>;

/** How often a follower looks for its answer besides being woken (a notice lost to a dropped connection). */
const POLL_MS = 500;

/**
 * A follower's commands: queued in the database for the leader (NOTIFY wakes it), the answer read
 * back when it is there. Nothing here touches the engine, so a follower can never act; one that
 * cannot reach the database refuses at once, and one whose command no leader took in time
 * withdraws it and says so. An abort or a halt is never withdrawn: the next leader acts on it.
 */
export class HandoffGateway implements CommandGateway {
  private readonly waiting = new Map<number, () => void>();

  constructor(
    private readonly db: ReplicaDb,
    private readonly settings: { waitMs: number; leaseTtlMs: number },
    private readonly log: AdapterLogger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A reply was stored for `id` (NOTIFY on the replies channel). */
  replied(id: number): void {
    this.waiting.get(id)?.();
  }

  async run(line: string, actor: Actor, channel: string, opts: { urgent: boolean }): Promise<Message> {
    const handoff: Handoff = { kind: 'command', line, actor, channel };
    let id: number;
    try {
      id = await this.db.submit(handoff, opts.urgent, this.now());
    } catch (err) {
      this.log.error({ err, line }, 'handing a command to the leader failed: database unreachable');
      return errorMessage('replica_unavailable', "Your command wasn't taken: this Faultline replica can't reach its database", [
        `Nothing was done. (${errorText(err)})`,
        'What to do: try again in a few seconds; another replica, or this one once the database answers, will take it.',
      ]);
    }
    const first = await this.answer(id, this.settings.waitMs);
    if (first) return first;
    if (!opts.urgent && (await this.db.abandon(id).catch(() => false))) {
      return errorMessage('replica_unavailable', "Your command wasn't taken: no replica is leading right now", [
        `No leader took it within ${formatDuration(this.settings.waitMs)}, so it was withdrawn and nothing was done.`,
        `What to do: try again shortly; a replica takes over within ${formatDuration(this.settings.leaseTtlMs)} of the last leader going away.`,
      ]);
    }
    // Taken already (or an abort, which stays queued): the leader's answer is worth a second wait.
    const second = await this.answer(id, this.settings.waitMs);
    if (second) return second;
    return errorMessage('replica_unavailable', opts.urgent ? 'Your command is queued for the leader' : 'The leader took your command but has not answered yet', [
      opts.urgent
        ? 'No replica has taken it yet. It stays queued and the next leader acts on it; a takeover also reverts every fault the previous leader held.'
        : 'It may still be done: its effect shows on the card and in the thread.',
      'What to do: look at `/chaos status` in a few seconds.',
    ]);
  }

  /** Someone opened the App Home on this replica: the leader publishes it. */
  homeOpened(user: string): void {
    const handoff: Handoff = { kind: 'home_opened', user };
    this.db.submit(handoff, false, this.now()).catch((err: unknown) => this.log.warn({ err, user }, 'handing the home tab to the leader failed'));
  }

  private answer(id: number, waitMs: number): Promise<Message | null> {
    return new Promise((resolve) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (msg: Message | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(poll);
        clearTimeout(deadline);
        this.waiting.delete(id);
        resolve(msg);
      };
      const look = () => {
        this.db.reply(id).then(
          (row) => {
            if (row?.state !== 'done') return;
            const parsed = Message.safeParse(row.reply);
            finish(parsed.success ? parsed.data : errorMessage('replica_unavailable', 'The leader answered in a form this replica does not read', ['Check that every replica runs the same version.']));
          },
          () => undefined,
        );
      };
      // A notice for this id, or the slow poll, reads the row.
      this.waiting.set(id, () => {
        clearTimeout(timer);
        timer = setTimeout(look, 0);
      });
      const poll = setInterval(look, POLL_MS);
      const deadline = setTimeout(() => finish(null), waitMs);
      look();
    });
  }
}
