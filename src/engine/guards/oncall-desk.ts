import { actorLabel, type Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import { formatDuration } from '../../core/duration.js';
import { errorText, FaultlineError } from '../../core/errors.js';
import { mentionUser } from '../../core/mention.js';
import { message, type Message } from '../../core/message.js';
import { acknowledge, checkReachable, timeOut, unacknowledged, unacknowledgedError, withdraw, type OnCallHandshake, type OnCallPerson } from '../../core/oncall.js';
import type { AdapterLogger, ChatPort, MessageRef, OnCallDirectory } from '../../core/ports.js';
import type { Notifier } from '../chat/notifier.js';
import type { Journal } from '../journal.js';
import type { EngineMetrics } from '../engine-metrics.js';

/** The button on the ask (Slack maps it to `/chaos oncall ack <id>`). */
export const ONCALL_ACK_ACTION = 'oncallack';

/** Where a handshake talks: the card's thread of its experiment or game day. */
export interface HandshakeThread {
  key: string;
  card: MessageRef | null;
  channel: string;
}

export interface AskInput {
  subject: string;
  services: readonly string[];
  actor: Actor;
  timeoutMs: number;
  thread: HandshakeThread;
  /** Whether the DM links the thread (default yes); a blinded drill's thread tells what runs, so it does not. */
  linkThread?: boolean;
  /** Whether the timeout is said in the thread (default yes); a game day says it with its hold instead. */
  announceTimeout?: boolean;
  /** Told once when the handshake ends, whichever way (acknowledged, timed out, withdrawn). */
  onEnd: (h: OnCallHandshake) => void;
}

export interface OnCallDeskDeps {
  directory?: OnCallDirectory;
  /** Who an on-call is in the chat, by their email (the chat port's `userByEmail`). */
  people?: Pick<Required<ChatPort>, 'userByEmail'>;
  notifier: Notifier;
  journal: Journal;
  clock: Clock;
  log: AdapterLogger;
  metrics?: Pick<EngineMetrics, 'onCallHandshake'>;
  /** The longest the on-call and chat lookups may take before the ask counts as failed. */
  lookupTimeoutMs: number;
}

interface Pending {
  handshake: OnCallHandshake;
  timer: NodeJS.Timeout;
  input: AskInput;
}

/**
 * Asks the on-call to acknowledge before a first injection, and waits for them without blocking
 * anyone: the ask returns at once, the acknowledgement (a button, or `/chaos oncall ack`) or the
 * timeout ends it later. A handshake lives in this process and in the journal; after a restart
 * nothing waits, and the run must be started again (which asks again) — nothing is injected on an
 * acknowledgement nobody can still vouch for.
 */
export class OnCallDesk {
  private readonly pending = new Map<string, Pending>();
  /** Handshakes that ended, newest per subject: what the start that follows an acknowledgement checks. */
  private readonly ended = new Map<string, OnCallHandshake>();
  private readonly asking = new Set<string>();

  constructor(private readonly deps: OnCallDeskDeps) {}

  /** The handshake under way for `subject`, if any. */
  current(subject: string): OnCallHandshake | undefined {
    return this.pending.get(subject)?.handshake;
  }

  /** The last handshake of `subject` if it was acknowledged no longer than `validMs` ago. */
  acknowledged(subject: string, validMs: number): OnCallHandshake | undefined {
    const h = this.ended.get(subject);
    return h?.outcome === 'acknowledged' && h.endedAt !== null && this.deps.clock.now() - h.endedAt <= validMs ? h : undefined;
  }

  /** Spends an acknowledgement (the start it allowed went ahead): the next start asks again. */
  consume(subject: string): void {
    this.ended.delete(subject);
  }

  /**
   * Looks up the on-call of every service and who they are in the chat, then asks them in the
   * thread (mentioned, with an Acknowledge button) and by DM. Throws before asking anyone when a
   * service cannot be asked (`oncall_unreachable`) or a handshake is under way (`oncall_pending`).
   */
  async ask(input: AskInput): Promise<OnCallHandshake> {
    const { subject } = input;
    this.refuseIfPending(subject);
    this.asking.add(subject);
    try {
      let people: OnCallPerson[];
      try {
        people = await this.reachablePeople(input);
      } catch (err) {
        this.deps.metrics?.onCallHandshake('unreachable');
        throw err;
      }
      const now = this.deps.clock.now();
      const handshake: OnCallHandshake = {
        subject,
        services: [...input.services],
        asked: people,
        askedBy: input.actor,
        askedAt: now,
        deadline: now + input.timeoutMs,
        acks: [],
        outcome: 'asking',
        endedAt: null,
        reason: null,
      };
      const timer = setTimeout(() => this.expire(subject), input.timeoutMs);
      timer.unref();
      this.pending.set(subject, { handshake, timer, input });
      this.ended.delete(subject);
      this.deps.journal.record('oncall-asked', subject, input.actor, { services: handshake.services, asked: people, timeoutMs: input.timeoutMs });
      const ask = this.askMessage(handshake, input);
      this.deps.notifier.reply(input.thread.key, input.thread.card, input.thread.channel, ask);
      for (const user of new Set(people.flatMap((p) => (p.chatUser ? [p.chatUser] : [])))) {
        const dm = { ...ask, title: `On-call acknowledgement asked: ${subject}` };
        this.deps.notifier.direct(user, dm, input.linkThread === false ? {} : { linkTo: { key: input.thread.key, ref: input.thread.card } });
      }
      return handshake;
    } finally {
      this.asking.delete(subject);
    }
  }

  /** The on-call presses Acknowledge. The handshake ends once every service has been acknowledged. */
  acknowledge(subject: string, actor: Actor): { handshake: OnCallHandshake; services: string[] } {
    const p = this.pending.get(subject);
    if (!p) {
      const last = this.ended.get(subject);
      if (last) throw new FaultlineError('illegal_transition', `the on-call handshake of ${subject} is over (${last.outcome})`, { subject, outcome: last.outcome });
      // A handshake lives as long as the process that asked: after a restart (or a new leader) it is gone.
      throw new FaultlineError('oncall_not_asked', `nobody is being asked to acknowledge ${subject} now (an ask ends when the bot restarts); start it again to ask again`, { subject });
    }
    const result = acknowledge(p.handshake, actor, this.deps.clock.now());
    p.handshake = result.handshake;
    this.deps.journal.record('oncall-acknowledged', subject, actor, { services: result.services });
    const left = unacknowledged(result.handshake);
    const done = result.handshake.outcome === 'acknowledged';
    const text = done ? `On-call acknowledged by ${actorLabel(actor)}: every linked service is covered; the start goes on.` : `On-call acknowledged by ${actorLabel(actor)}; still waiting for ${left.join(', ')}.`;
    this.deps.notifier.reply(p.input.thread.key, p.input.thread.card, p.input.thread.channel, message({ tone: 'success', subject, sections: [text] }));
    if (done) this.end(subject);
    return result;
  }

  /** The run was aborted or cancelled while asking: nothing waits any longer. */
  withdraw(subject: string, reason: string, actor: Actor): void {
    const p = this.pending.get(subject);
    if (!p) return;
    p.handshake = withdraw(p.handshake, this.deps.clock.now(), reason);
    this.deps.journal.record('oncall-withdrawn', subject, actor, { reason });
    this.end(subject);
  }

  /** Shutdown: timers cleared; the handshakes end with the process (the journal keeps what was asked). */
  stop(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private refuseIfPending(subject: string): void {
    const p = this.pending.get(subject);
    if (p || this.asking.has(subject)) {
      const until = p ? ` (until ${new Date(p.handshake.deadline).toISOString()})` : '';
      throw new FaultlineError('oncall_pending', `${subject} is waiting for the on-call to acknowledge${until}; it starts when they do`, { subject });
    }
  }

  private expire(subject: string): void {
    const p = this.pending.get(subject);
    if (!p) return;
    p.handshake = timeOut(p.handshake, this.deps.clock.now());
    const refusal = unacknowledgedError(p.handshake, p.input.timeoutMs);
    this.deps.journal.record('oncall-unacknowledged', subject, p.input.actor, { services: unacknowledged(p.handshake), reason: refusal.message });
    if (p.input.announceTimeout !== false) {
      this.deps.notifier.reply(p.input.thread.key, p.input.thread.card, p.input.thread.channel, message({ tone: 'danger', subject, sections: [`${refusal.message} (${refusal.code}). Nothing was injected; start it again to ask again.`] }));
    }
    this.end(subject);
  }

  private end(subject: string): void {
    const p = this.pending.get(subject);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(subject);
    this.ended.set(subject, p.handshake);
    const { outcome, endedAt, askedAt } = p.handshake;
    if (outcome !== 'asking') this.deps.metrics?.onCallHandshake(outcome, Math.max(0, (endedAt ?? askedAt) - askedAt));
    try {
      p.input.onEnd(p.handshake);
    } catch (err) {
      this.deps.log.error({ subject, err }, 'on-call handshake follow-up failed');
    }
  }

  /** Who to ask, each with a chat account; throws `oncall_unreachable` when some service cannot be asked. */
  private async reachablePeople(input: AskInput): Promise<OnCallPerson[]> {
    const { subject } = input;
    if (!this.deps.directory) {
      throw new FaultlineError('oncall_unreachable', `${subject} needs the on-call's acknowledgement (onCall: require), but no on-call directory is configured: set PAGERDUTY_API_TOKEN`, { subject });
    }
    if (input.services.length === 0) {
      throw new FaultlineError('oncall_unreachable', `${subject} needs the on-call's acknowledgement (onCall: require) but links no PagerDuty service (pagerduty.services)`, { subject });
    }
    const people = await this.lookUp(this.deps.directory, subject, input.services);
    checkReachable(input.services, people);
    return people;
  }

  /** First responders of each service, each with their chat account; any failure refuses the ask. */
  private async lookUp(directory: OnCallDirectory, subject: string, services: readonly string[]): Promise<OnCallPerson[]> {
    const signal = AbortSignal.timeout(this.deps.lookupTimeoutMs);
    let found: Array<Omit<OnCallPerson, 'chatUser'>>;
    try {
      found = await directory.firstResponders(services, signal);
    } catch (err) {
      throw new FaultlineError('oncall_unreachable', `who is on call for ${services.join(', ')} could not be learned: ${errorText(err)}`, { subject, services: [...services] }, { cause: err });
    }
    const people = this.deps.people;
    const out: OnCallPerson[] = [];
    for (const person of found) {
      let chatUser: string | undefined;
      if (people && person.email) {
        try {
          chatUser = await people.userByEmail(person.email);
        } catch (err) {
          throw new FaultlineError('oncall_unreachable', `the chat account of on-call ${person.name} (${person.email}) could not be looked up: ${errorText(err)}`, { subject }, { cause: err });
        }
      }
      out.push({ ...person, ...(chatUser ? { chatUser } : {}) });
    }
    return out;
  }

  private askMessage(h: OnCallHandshake, input: AskInput): Message {
    const byService = h.services.map((s) => {
      const here = h.asked.filter((p) => p.serviceId === s);
      const who = here.map((p) => (p.chatUser ? mentionUser(p.chatUser, p.name) : `${p.name} (no chat account)`)).join(', ');
      return `• ${here[0]?.serviceName ?? s}: ${who}`;
    });
    return message({
      tone: 'warning',
      subject: h.subject,
      title: `On-call acknowledgement needed: ${h.subject}`,
      sections: [
        `${actorLabel(input.actor)} wants to start ${h.subject}. Before any fault goes in, the on-call of each linked service must acknowledge (within ${formatDuration(input.timeoutMs)}); without it the start is refused.`,
        byService.join('\n'),
      ],
      buttons: [{ label: 'Acknowledge', actionId: ONCALL_ACK_ACTION, value: h.subject, style: 'primary' }],
    });
  }
}
