import type { Message } from '../../core/message.js';
import { randomBytes } from 'node:crypto';
import { SYSTEM, type Actor } from '../../core/actor.js';
import { checkLadder, type PastRun } from '../../core/ladder.js';
import { FaultlineError } from '../../core/errors.js';
import { checkPermitted, type Authority } from '../../core/permissions.js';
import { isTerminal, type ExperimentRecord, type Plan } from '../../core/experiment.js';
import type { Experiment } from '../../core/playbook.js';
import type { EngineDeps } from '../engine-deps.js';
import type { ExperimentRepo, StoredExperiment } from './experiment-repo.js';
import type { Journal } from '../journal.js';
import type { FreezeWindows } from '../guards/freeze-windows.js';
import type { KillSwitch } from '../guards/kill-switch.js';
import type { Notifier } from '../chat/notifier.js';
import { ApproverRoster } from './approver-roster.js';
import { buildPlan, heldTargetIds } from './plan-builder.js';
import type { Runner } from './runner.js';
import type { Transitions } from './transitions.js';
import type { IncidentWatch } from '../guards/incident-watch.js';
import { CardDelivery, type CardOutcome } from './card-delivery.js';
import type { OnCallDesk } from '../guards/oncall-desk.js';
import type { OnCallHandshake } from '../../core/oncall.js';
import { onCallGate, withdrawWhenClosed } from './oncall-gate.js';
import { StartRules } from './start-rules.js';

import { PlaybookShelf, type ProposeOverrides } from './playbook-shelf.js';
export type { ProposeOverrides } from './playbook-shelf.js';

/** How a run came to be proposed, besides by a person typing propose. */
export interface ProposeOrigin {
  gameDay?: { id: string; step: number; blinded?: boolean };
  scheduleId?: string;
  /** Re-use a seed (a game-day step resolves exactly the plan its approval covered). */
  seed?: number;
}

export type TransitionListener = (before: ExperimentRecord, after: ExperimentRecord) => void;

/** The parts an ExperimentService acts through, built once by createEngine (src/engine/index.ts). */
export interface ExperimentParts {
  repo: ExperimentRepo;
  journal: Journal;
  killSwitch: KillSwitch;
  freezes: FreezeWindows;
  notifier: Notifier;
  transitions: Transitions;
  runner: Runner;
  incidents: IncidentWatch;
  /** On-call handshakes (`onCall: require`): asked before the start, acknowledged by the on-call. */
  onCalls: OnCallDesk;
  /** Adds a listener to the transitions' fan-out. */
  subscribe(listener: TransitionListener): void;
  /** A game day's commander, who may start, reject or cancel its steps. */
  commanderOf(gameDayId: string): string | undefined;
}

/**
 * What commands call. Every method validates, decides through the core, persists and journals; a
 * refused call throws a coded FaultlineError and changes nothing (the command layer audits it).
 */
export class ExperimentService {
  private readonly random: () => number;
  private readonly repo: ExperimentRepo;
  private readonly journal: Journal;
  private readonly killSwitch: KillSwitch;
  private readonly notifier: Notifier;
  private readonly transitions: Transitions;
  private readonly runner: Runner;
  private readonly roster: ApproverRoster;
  private readonly cards: CardDelivery;
  private readonly shelf: PlaybookShelf;
  private readonly rules: StartRules;

  constructor(
    private readonly deps: EngineDeps,
    private readonly parts: ExperimentParts,
  ) {
    this.random = deps.random ?? Math.random;
    this.roster = new ApproverRoster(deps);
    ({ repo: this.repo, journal: this.journal, killSwitch: this.killSwitch, notifier: this.notifier, transitions: this.transitions, runner: this.runner } = parts);
    this.shelf = new PlaybookShelf(deps);
    this.rules = new StartRules(deps, parts);
    this.cards = new CardDelivery(deps, { repo: this.repo, notifier: this.notifier, transitions: this.transitions, roster: this.roster });
    parts.subscribe(withdrawWhenClosed(parts.onCalls));
  }

  /** Told after every applied transition (game days follow their steps this way); must not throw or block. */
  subscribe(listener: TransitionListener): void {
    this.parts.subscribe(listener);
  }

  /** A loaded playbook by name (a copy); `playbook_not_found` names the known ones. */
  playbookSpec(name: string): Experiment {
    return this.shelf.get(name);
  }

  private newId(): string {
    for (;;) {
      const id = `exp-${randomBytes(3).toString('hex')}`;
      if (!this.repo.exists(id)) return id;
    }
  }

  /** A playbook's spec after a run's overrides (a copy): what a standing approval's hash is taken of. */
  specFor(playbook: string, overrides: ProposeOverrides = {}): Experiment {
    return this.shelf.with(playbook, overrides);
  }

  /** A line in an experiment's thread (after its card). */
  note(id: string, msg: Message): void {
    const entry = this.get(id);
    this.notifier.reply(id, entry.card, entry.record.channel, { ...msg, subject: id });
  }

  async propose(input: { playbook: string; overrides?: ProposeOverrides; actor: Actor; channel?: string; origin?: ProposeOrigin }): Promise<StoredExperiment> {
    const spec = this.shelf.with(input.playbook, input.overrides ?? {});
    return this.proposeSpec(spec, { actor: input.actor, ...(input.channel ? { channel: input.channel } : {}), overrides: input.overrides ?? {}, origin: input.origin ?? {} });
  }

  /** Proposes an experiment from a spec already in hand (a game-day step, a scheduled run). */
  async proposeSpec(spec: Experiment, input: { actor: Actor; channel?: string; overrides?: ProposeOverrides; origin?: ProposeOrigin }): Promise<StoredExperiment> {
    const origin = input.origin ?? {};
    const seed = origin.seed ?? Math.floor(this.random() * 2 ** 31);
    const built = await buildPlan(spec, seed, this.deps);
    const now = this.deps.clock.now();
    // A game day checked its whole ladder when it was proposed; each step is checked again at its start.
    if (this.deps.settings.ladderWindowMs !== undefined && !origin.gameDay) checkLadder(built.plan, this.pastRuns(), this.deps.settings.ladderWindowMs, now);
    const record: ExperimentRecord = {
      id: this.newId(),
      name: spec.name,
      channel: input.channel ?? spec.channel,
      state: 'proposed',
      phase: null,
      verdict: null,
      plan: built.plan,
      planHash: built.hash,
      proposedBy: input.actor,
      proposedAt: now,
      approval: null,
      closedBy: null,
      startedBy: null,
      startedAt: null,
      injectedAt: null,
      endsAt: null,
      endedAt: null,
      abort: null,
      failure: null,
      updatedAt: now,
      ...(origin.gameDay ? { gameDay: origin.gameDay } : {}),
      ...(origin.scheduleId ? { scheduleId: origin.scheduleId } : {}),
    };
    // The spec as it runs: checks that read the target's cluster are bound to it (see bindSignals).
    const entry: StoredExperiment = { record, spec: built.spec, card: null };
    this.deps.store.transaction(() => {
      this.repo.save(entry);
      this.journal.record('proposed', record.id, input.actor, {
        playbook: spec.name,
        planHash: built.hash,
        seed,
        candidates: built.plan.candidates,
        targets: built.plan.targets.map((t) => ({ id: t.id, name: t.name })),
        protectedOut: built.protectedOut,
        overrides: input.overrides ?? {},
        ...(origin.gameDay ? { gameDay: origin.gameDay } : {}),
        ...(origin.scheduleId ? { scheduleId: origin.scheduleId } : {}),
      });
    });
    this.cards.post(entry);
    return entry;
  }

  /** Whether the card of `id` made it into its channel, waiting up to `maxWaitMs` for the chat. */
  cardOutcome(id: string, maxWaitMs: number): Promise<CardOutcome> {
    return this.cards.outcome(id, maxWaitMs);
  }

  /** Posts the card of `id` again when it never reached its channel (the bot was not in it). */
  repostCard(id: string, maxWaitMs: number): Promise<CardOutcome> {
    return this.cards.repost(id, maxWaitMs);
  }

  /** Re-resolves the plan with the proposal's seed: the hash changes if anything drifted. */
  private async currentHash(entry: StoredExperiment): Promise<string> {
    return (await buildPlan(entry.spec, entry.record.plan.seed, this.deps)).hash;
  }

  async approve(id: string, actor: Actor): Promise<StoredExperiment> {
    const entry = this.repo.get(id);
    const policy = await this.approvalPolicy();
    if (entry.record.state !== 'proposed') return this.transitions.apply(id, { type: 'approve', actor, currentPlanHash: entry.record.planHash, policy }, actor).entry;
    // A plan that cannot be resolved now cannot match the approved one: the core refuses it as drift.
    const currentPlanHash = await this.currentHash(entry).catch(() => 'unresolvable');
    return this.transitions.apply(id, { type: 'approve', actor, currentPlanHash, policy }, actor).entry;
  }

  /** Resolves a spec's plan with a given seed (the same seed over the same targets gives the same hash). */
  planFor(spec: Experiment, seed: number) {
    return buildPlan(spec, seed, this.deps);
  }

  /** The configured approvers plus, when there is one, the members of the approver group right now. */
  approvalPolicy() {
    return this.roster.policy();
  }

  /** Looks the approver group up again; with `maxWaitMs`, waits at most that long (see ApproverRoster). */
  refreshApprovers(maxWaitMs?: number): Promise<void> {
    return this.roster.refresh(maxWaitMs);
  }

  /** Who counts as an approver without waiting. */
  approversNow(): readonly string[] {
    return this.roster.now();
  }

  /** Who may start, reject or cancel `record` besides its proposer: the approvers, and a game-day step's commander. */
  authorityFor(record: ExperimentRecord): Authority {
    const commander = record.gameDay ? this.parts.commanderOf(record.gameDay.id) : undefined;
    return { approvers: this.approversNow(), ...(commander ? { commander } : {}) };
  }

  /** An approver only. Refused (`not_permitted`) for anyone else; a refused call changes nothing. */
  reject(id: string, actor: Actor, reason: string): StoredExperiment {
    const authority = this.authorityFor(this.repo.get(id).record);
    return this.transitions.apply(id, { type: 'reject', actor, reason, authority }, actor).entry;
  }

  /** Closes a proposed or approved experiment: its proposer or an approver (a running one is aborted, by anyone). */
  cancel(id: string, actor: Actor, reason: string): StoredExperiment {
    const authority = this.authorityFor(this.repo.get(id).record);
    return this.transitions.apply(id, { type: 'cancel', actor, reason, authority }, actor).entry;
  }

  /**
   * The proposer or an approver (a game-day step: also its commander); the bot itself for schedules and game days.
   * With `onCall: require` the first start asks the on-call and returns with `awaitingOnCall`: the
   * experiment stays approved, and starts (every rule checked again) when the on-call acknowledges.
   */
  async start(id: string, actor: Actor): Promise<StoredExperiment & { awaitingOnCall?: OnCallHandshake }> {
    await this.refreshApprovers();
    const entry = this.repo.get(id);
    const authority = this.authorityFor(entry.record);
    // Who asks is settled first: a start nobody may give touches no gate, lookup or target.
    if (entry.record.state === 'proposed' || entry.record.state === 'approved') checkPermitted('start', entry.record, actor, authority);
    // A halted org refuses before any target is touched; so does a service with an open incident.
    if (entry.record.state === 'approved') await this.checkStartRules({ id, plan: entry.record.plan, spec: entry.spec });
    const awaitingOnCall =
      entry.record.state === 'approved'
        ? await onCallGate(entry, actor, {
            onCalls: this.parts.onCalls,
            linkedServices: this.deps.incidents?.settings.linkedServices ?? [],
            log: this.deps.log,
            startAgain: (again, by) => this.start(again, by),
            note: (again, msg) => this.note(again, msg),
          })
        : undefined;
    if (awaitingOnCall) return { ...this.repo.get(id), awaitingOnCall };
    // Unresolvable now means it cannot match what was approved: the core refuses the start as drift.
    const currentPlanHash = entry.record.state === 'approved' ? await this.currentHash(entry).catch(() => 'unresolvable') : entry.record.planHash;
    const result = this.transitions.apply(
      id,
      { type: 'start', actor, currentPlanHash, limits: this.rules.limits(), targetIds: heldTargetIds(entry.record.plan), authority },
      actor,
    );
    this.runner.launch(id);
    this.parts.onCalls.consume(id);
    return result.entry;
  }

  /** The start rules no approval lifts (see StartRules); a game day checks a step with them before proposing it. */
  checkStartRules(run: { id: string; plan: Plan; spec: Experiment }): Promise<void> {
    return this.rules.check(run);
  }

  /** Resolves when the run of `id` has finished here, its post-mortem drafted (at once when it is not running). */
  runEnded(id: string): Promise<void> {
    return this.runner.done(id);
  }

  /**
   * Needs no approval and waits on nothing: the state changes now and the revert starts now. Anyone
   * may abort a run; before it runs, an abort is a cancel (the proposer or an approver).
   */
  abort(id: string, actor: Actor, reason: string, code: 'manual' | 'halt' | 'shutdown' | 'incident' = 'manual'): StoredExperiment {
    const authority = this.authorityFor(this.repo.get(id).record);
    const { entry } = this.transitions.apply(id, { type: 'abort', actor, reason, code, authority }, actor);
    this.journal.record('abort', id, actor, { reason, code });
    this.deps.log.warn({ experimentId: id, actor: actor.id, reason, code }, 'experiment aborted');
    if (entry.record.state === 'running') {
      if (this.runner.isRunning(id)) this.runner.wake(id);
      else this.runner.launch(id, 'revert');
    }
    return entry;
  }

  halt(actor: Actor, reason: string): StoredExperiment[] {
    this.killSwitch.halt(actor.id, reason, this.deps.clock.now());
    this.journal.record('halt', null, actor, { reason });
    const aborted: StoredExperiment[] = [];
    for (const entry of this.repo.list({ states: ['running', 'approved', 'proposed'] })) {
      if (entry.record.state !== 'running') continue;
      aborted.push(this.abort(entry.record.id, actor, `halt: ${reason}`, 'halt'));
    }
    return aborted;
  }

  resume(actor: Actor): void {
    this.killSwitch.resume();
    this.journal.record('resume', null, actor, {});
  }

  /** Closes proposals and approvals that outlived their time. */
  expireStale(): string[] {
    const now = this.deps.clock.now();
    const expired: string[] = [];
    for (const entry of this.repo.list({ states: ['proposed', 'approved'] })) {
      const r = entry.record;
      const late = r.state === 'approved' ? (r.approval?.expiresAt ?? 0) <= now : r.proposedAt + this.deps.settings.proposalTtlMs <= now;
      if (late) {
        this.transitions.apply(r.id, { type: 'expire' }, SYSTEM);
        expired.push(r.id);
      }
    }
    return expired;
  }

  /** Finished runs (newest first, the last 1000) for the ladder and `/chaos history`. */
  pastRuns(): PastRun[] {
    return this.rules.pastRuns();
  }

  playbookNames(): string[] {
    return this.shelf.names();
  }

  /** Drafts the post-mortem again from the journal (after edits to the template, say). */
  async draftPostmortem(id: string): Promise<string> {
    const entry = this.repo.get(id);
    if (!isTerminal(entry.record.state)) {
      throw new FaultlineError('illegal_transition', `${id} is still ${entry.record.state}; the post-mortem is drafted when it ends`, { experimentId: id });
    }
    return this.runner.writeDraft(id);
  }

  get(id: string): StoredExperiment {
    return this.repo.get(id);
  }

  find(id: string): StoredExperiment | undefined {
    return this.repo.find(id);
  }

  /** Experiments running now (a fault may be in). */
  running(): StoredExperiment[] {
    return this.repo.running();
  }

  /** Experiments in one of `states`, newest first. */
  byState(states: ExperimentRecord['state'][], limit?: number): StoredExperiment[] {
    return this.repo.list({ states, ...(limit !== undefined ? { limit } : {}) });
  }

  /** Proposed, approved and running experiments, newest first. */
  active(limit?: number): StoredExperiment[] {
    return this.repo.list({ states: ['running', 'approved', 'proposed'], ...(limit !== undefined ? { limit } : {}) });
  }

  /** The card of an experiment as it stands now. */
  card(entry: StoredExperiment) {
    return this.transitions.card(entry);
  }

  /** Who halted chaos and why, or null. */
  haltState() {
    return this.killSwitch.state();
  }

  list(limit = 20): StoredExperiment[] {
    return this.repo.list({ limit });
  }
}
