import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import { SYSTEM, type Actor } from '../../core/actor.js';
import { isApprover } from '../../core/approval.js';
import { scopeOf } from '../../core/ladder.js';
import { FaultlineError } from '../../core/errors.js';
import { isTerminal } from '../../core/experiment.js';
import { gameDayCard } from '../../core/gameday-card.js';
import { gameDayTransition, stepOutcome, type GameDayEffect, type GameDayEvent } from '../../core/gameday-lifecycle.js';
import { isGameDayTerminal, stepNotRun, type GameDayRecord } from '../../core/gameday-record.js';
import { message } from '../../core/message.js';
import type { LoadedGameDay } from '../../playbooks/validate-gameday.js';
import type { GameDayDeps, GameDayExperiments, GameDayHost } from './gameday-ports.js';
import { checkGameDayLadder, gameDayHash, resolveStepSpecs, stepName } from './gameday-plan.js';
import { GameDayRepo, type StoredGameDay } from './gameday-repo.js';
import { GameDaySteps } from './gameday-steps.js';
import { GameDayNotebook } from './gameday-notebook.js';
import { GameDayDrill } from './gameday-drill.js';
import type { ScheduledGameDays } from '../schedules/schedule-ports.js';
import { approverMentions } from '../../core/mention.js';

/**
 * Game days: one approval for all steps, a checkpoint after each, the commander deciding. Each step
 * runs as an ordinary experiment through the ExperimentService, so every invariant of a single run
 * (journaled intent, guardrails, abort, revert, post-mortem) holds for every step.
 */
export class GameDayService implements GameDayHost {
  readonly repo: GameDayRepo;
  readonly steps: GameDaySteps;
  /** Notes, conclusions, action items and hand-overs from the thread. */
  readonly notebook: GameDayNotebook;
  /** Blinded drills: the responders told only that a drill runs, then the reveal with the detection record. */
  readonly drill: GameDayDrill;

  constructor(
    private readonly experiments: GameDayExperiments,
    private readonly deps: GameDayDeps,
  ) {
    this.repo = new GameDayRepo(deps.store);
    this.steps = new GameDaySteps(this, experiments, deps);
    this.drill = new GameDayDrill(this, experiments, { ...deps, incidents: deps.store.incidents });
    this.notebook = new GameDayNotebook(this.repo, experiments, deps, (entry) => {
      this.refreshCard(entry);
      // A conclusion on the last step can only come after the day closed: the report is written again.
      if (isGameDayTerminal(entry.record.state) && entry.record.startedAt !== null) this.steps.report(entry.record.id, { upload: false });
    });
  }

  names(): string[] {
    return [...this.deps.gamedays().keys()].sort();
  }

  has(name: string): boolean {
    return this.deps.gamedays().has(name);
  }

  loaded(name: string): LoadedGameDay {
    const found = this.deps.gamedays().get(name);
    if (!found) throw new FaultlineError('gameday_not_found', `no game day named "${name}"; known: ${this.names().join(', ') || '(none loaded)'}`, { name });
    return found;
  }

  private newId(): string {
    for (;;) {
      const id = `gd-${randomBytes(3).toString('hex')}`;
      if (!this.repo.find(id)) return id;
    }
  }

  /** Resolves every step's plan now (the previews people approve), checks the ladder, posts the card. */
  async propose(input: { name: string; actor: Actor; channel?: string; scheduleId?: string }): Promise<StoredGameDay> {
    const loaded = this.loaded(input.name);
    const spec = loaded.gameday;
    const stepSpecs = resolveStepSpecs(loaded, (n) => this.experiments.playbookSpec(n));
    const built = [];
    for (const [i, s] of stepSpecs.entries()) {
      try {
        built.push(await this.experiments.planFor(s, Math.floor(this.deps.random() * 2 ** 31)));
      } catch (err) {
        if (err instanceof FaultlineError) throw new FaultlineError(err.code, `step ${i + 1} (${s.name}): ${err.message}`, { ...err.details, step: i + 1 });
        throw err;
      }
    }
    const now = this.deps.clock.now();
    const ladderWindow = this.deps.settings.ladderWindowMs;
    if (ladderWindow !== undefined) checkGameDayLadder(built.map((b) => b.plan), this.experiments.pastRuns(), ladderWindow, now);
    const id = this.newId();
    const record: GameDayRecord = {
      id,
      name: spec.name,
      title: spec.title,
      channel: input.channel ?? spec.channel,
      roles: spec.roles,
      autoContinue: spec.autoContinue,
      commanderTimeoutMs: spec.commanderTimeout,
      steps: built.map((b, i) =>
        stepNotRun({ index: i, name: stepName(spec, i, stepSpecs[i]!, b.plan), experiment: stepSpecs[i]!.name, hypothesis: stepSpecs[i]!.hypothesis, plan: b.plan, planHash: b.hash }),
      ),
      planHash: gameDayHash(built.map((b) => b.hash), spec),
      proposedBy: input.actor,
      proposedAt: now,
      approval: null,
      state: 'proposed',
      next: 0,
      current: null,
      decisions: [],
      holdReason: null,
      holdRequested: false,
      pendingApproval: null,
      closedBy: null,
      startedAt: null,
      endedAt: null,
      updatedAt: now,
      commanderSeenAt: now,
      reportPath: this.deps.reportPath(id),
      notes: [],
      actions: [],
      roleHistory: [],
      onCall: [],
      drill:
        spec.blinded && spec.responders
          ? { respondersChannel: spec.responders.channel, responders: spec.responders.people, expectedAlerts: spec.expectedAlerts ?? [], announcedAt: null, revealedAt: null, detection: null }
          : null,
      ...(input.scheduleId ? { scheduleId: input.scheduleId } : {}),
    };
    const entry: StoredGameDay = { record, spec, stepSpecs, card: null };
    this.deps.store.transaction(() => {
      this.repo.save(entry);
      this.deps.journal.record('gameday-proposed', id, input.actor, {
        gameday: spec.name,
        file: loaded.file,
        planHash: record.planHash,
        steps: record.steps.map((s) => ({ name: s.name, planHash: s.planHash, seed: s.plan.seed, targets: s.plan.targets.map((t) => t.name) })),
        ...(input.scheduleId ? { scheduleId: input.scheduleId } : {}),
      });
    });
    void this.deps.notifier
      .postCard(id, record.channel, this.card(record))
      .then((card) => {
        if (!card) return;
        const current = this.repo.get(id);
        this.repo.save({ ...current, card });
        if (current.record.updatedAt !== record.updatedAt) this.refreshCard({ ...current, card }, true);
      })
      .catch((err: unknown) => this.deps.log.error({ gameDayId: id, err }, 'saving the card reference failed'));
    return entry;
  }

  /** Re-resolves every step with its seed: the hash changes if anything drifted since the proposal. */
  private async currentHash(entry: StoredGameDay): Promise<string> {
    const hashes = [];
    for (const [i, s] of entry.stepSpecs.entries()) hashes.push((await this.experiments.planFor(s, entry.record.steps[i]!.plan.seed)).hash);
    return gameDayHash(hashes, entry.spec);
  }

  async approve(id: string, actor: Actor): Promise<StoredGameDay> {
    const entry = this.repo.get(id);
    // Approving means reading every step's plan: a blinded drill's responder would learn what runs.
    if (entry.record.drill && isApprover(actor, entry.record.drill.responders)) {
      throw new FaultlineError('gameday_role', `${actor.id} is a responder of the blinded drill ${id}: another approver must approve it`, { gameDayId: id, actor: actor.id });
    }
    const policy = await this.experiments.approvalPolicy();
    const r = entry.record;
    let current = r.planHash;
    // Steps that cannot be resolved now cannot match the proposal: the core refuses the approval as drift.
    if (r.state === 'proposed') current = await this.currentHash(entry).catch(() => 'unresolvable');
    else if (r.pendingApproval) current = r.pendingApproval.gameDayHash;
    return this.apply(id, { type: 'approve', actor, currentPlanHash: current, policy }, actor);
  }

  /** An approver only (`not_permitted` for anyone else). */
  reject(id: string, actor: Actor, reason: string): StoredGameDay {
    return this.apply(id, { type: 'reject', actor, reason, authority: { approvers: this.experiments.approversNow() } }, actor);
  }

  /** With a conclusion: the team's on the step that just ran (see GameDayNotebook.decideWith). */
  continue(id: string, actor: Actor, conclusion?: string): StoredGameDay {
    const event: GameDayEvent = { type: 'continue', actor };
    return this.notebook.decideWith(id, actor, conclusion, { when: ['approved', 'checkpoint', 'held'], check: () => this.dryRun(id, event) }, () => this.apply(id, event, actor));
  }

  /** Throws what `apply` would refuse, and changes nothing. */
  private dryRun(id: string, event: GameDayEvent): void {
    gameDayTransition(this.repo.get(id).record, event, this.deps.clock.now());
  }

  /** What schedules need: a scheduled game day is proposed, and with a standing approval approved and started. */
  forSchedules(): ScheduledGameDays {
    const specs = (name: string) => resolveStepSpecs(this.loaded(name), (n) => this.experiments.playbookSpec(n));
    return {
      has: (name) => this.has(name),
      specHash: (name) => createHash('sha256').update(canonicalJson({ gameday: this.loaded(name).gameday, steps: specs(name) })).digest('hex'),
      scopes: (name) => [...new Set(specs(name).map((s) => scopeOf({ adapter: s.target.adapter, selector: s.target.selector })))],
      activeScopes: () => this.activeScopes(),
      launch: async ({ name, actor, channel, scheduleId, standing }) => {
        const { record } = await this.propose({ name, actor, scheduleId, ...(channel ? { channel } : {}) });
        if (!standing) return { id: record.id };
        await this.approve(record.id, standing.by);
        this.apply(record.id, { type: 'continue', actor, scheduled: true }, actor);
        return { id: record.id };
      },
    };
  }

  /** At a checkpoint, a reason typed is also the team's conclusion on the step that ran. */
  hold(id: string, actor: Actor, reason: string, conclusion?: string): StoredGameDay {
    const event: GameDayEvent = { type: 'hold', actor, reason };
    return this.notebook.decideWith(id, actor, conclusion, { when: ['checkpoint'], check: () => this.dryRun(id, event) }, () => this.apply(id, event, actor));
  }

  /**
   * Anyone may abort a running day; the running step is aborted at once and reverted by its own run.
   * Before the day runs, an abort is a cancel: the proposer, the commander or an approver.
   */
  abort(id: string, actor: Actor, reason: string, conclusion?: string): StoredGameDay {
    const event: GameDayEvent = { type: 'abort', actor, reason, authority: { approvers: this.experiments.approversNow() } };
    // At a checkpoint the reason is also a conclusion, from someone in the day's roles; it never holds an abort back.
    return this.notebook.decideWith(id, actor, conclusion, { when: ['checkpoint', 'held'], onlyIfInRole: true, check: () => this.dryRun(id, event) }, () => this.apply(id, event, actor));
  }

  /** The commander said something: a game day only holds for a lost commander when they have been silent. */
  seen(actor: Actor): void {
    for (const entry of this.repo.active()) {
      if (!isApprover(actor, [entry.record.roles.commander])) continue;
      const { state } = gameDayTransition(entry.record, { type: 'commander-seen' }, this.deps.clock.now());
      this.repo.save({ ...entry, record: state });
    }
  }

  /** Closes game days whose proposal or approval outlived its time. */
  expireStale(): string[] {
    const now = this.deps.clock.now();
    const out: string[] = [];
    for (const { record: r } of this.repo.list({ states: ['proposed', 'approved'] })) {
      const late = r.state === 'approved' ? (r.approval?.expiresAt ?? 0) <= now : r.proposedAt + this.deps.settings.proposalTtlMs <= now;
      if (!late) continue;
      this.apply(r.id, { type: 'expire' }, SYSTEM);
      out.push(r.id);
    }
    return out;
  }

  /**
   * A game day with a step running when the bot stops (shutdown) or was found running at start-up
   * (a crash) is marked interrupted and never resumes by itself. The step's fault is reverted by the
   * experiment's own abort or reconcile; its end is still recorded in the report. Call this before
   * those aborts. Waiting game days (approved, at a checkpoint, held) stay waiting.
   */
  interruptRunning(reason: (stepNumber: number) => string): string[] {
    const out: string[] = [];
    for (const { record: r } of this.repo.list({ states: ['running'] })) {
      const expId = r.current !== null ? r.steps[r.current]?.experimentId : null;
      const exp = expId ? this.experiments.find(expId) : undefined;
      const stepInFlight = !!exp && !isTerminal(exp.record.state);
      // A step that ended just before the stop, its end not yet recorded, is recorded with the interruption.
      const outcome = exp && !stepInFlight && r.current !== null ? stepOutcome(r.current, exp.record) : undefined;
      this.apply(r.id, { type: 'interrupt', reason: reason((r.current ?? r.next) + 1), stepInFlight, ...(outcome ? { outcome } : {}) }, SYSTEM);
      out.push(r.id);
    }
    return out;
  }

  get(id: string): StoredGameDay {
    return this.repo.get(id);
  }

  list(limit = 10): StoredGameDay[] {
    return this.repo.list({ limit });
  }

  /** Game days under way: approved, running, at a checkpoint or held. */
  active(): StoredGameDay[] {
    return this.repo.active();
  }

  /** Active game days' target scopes (a schedule never fires onto a target a game day holds). */
  activeScopes(): string[] {
    return this.repo.active().flatMap((g) => g.record.steps.map((s) => scopeOf(s.plan)));
  }

  card(record: GameDayRecord) {
    return gameDayCard(record, { approvers: approverMentions(this.deps.settings.approval.approvers, record.proposedBy.id) });
  }

  refreshCard(entry: StoredGameDay, force = false): void {
    this.deps.notifier.updateCard(entry.record.id, entry.card, this.card(entry.record), force || isGameDayTerminal(entry.record.state));
  }

  /** Decide in the core, persist, journal, tell the thread, then carry out the effects. */
  apply(id: string, event: GameDayEvent, actor: Actor = SYSTEM): StoredGameDay {
    const entry = this.repo.get(id);
    const { state, effects } = gameDayTransition(entry.record, event, this.deps.clock.now());
    const next: StoredGameDay = { ...entry, record: state };
    this.repo.save(next);
    const reason = 'reason' in event ? event.reason : undefined;
    this.deps.journal.record('gameday-transition', id, actor, { event: event.type, from: entry.record.state, to: state.state, next: state.next, ...(reason ? { reason } : {}) });
    for (const e of effects) this.effect(next, e, actor, event.type === 'abort');
    // A day that ends (or holds) while its on-call is asked waits for them no longer.
    if (state.state !== 'running' && entry.record.state === 'running') this.deps.onCalls.withdraw(id, `the game day is ${state.state}`, actor);
    if (event.type === 'step-started' && next.record.drill) this.drill.announce(next);
    this.refreshCard(next);
    return next;
  }

  /** Performs one effect of a transition; every effect the game-day machine returns is performed here. */
  private effect(entry: StoredGameDay, e: GameDayEffect, actor: Actor, urgent: boolean): void {
    const { id, channel } = entry.record;
    switch (e.type) {
      case 'notify':
        this.deps.notifier.reply(id, entry.card, channel, message({ tone: e.tone, subject: id, sections: [e.text] }), { urgent });
        return;
      case 'start-step':
        this.steps.launch(id, e.index, actor);
        return;
      case 'abort-step':
        this.steps.abortStep(e.experimentId, actor, e.reason);
        return;
      case 'checkpoint':
        this.steps.postCheckpoint(entry, e.beforeStep);
        return;
      case 'write-report':
        // A blinded drill is revealed before its report is written, so the report has the detection record.
        if (entry.record.drill) this.steps.report(id, { before: () => this.drill.reveal(id) });
        else this.steps.report(id);
        return;
      default: {
        // Exhaustive: an effect type added to the core and not performed here fails the typecheck.
        const unperformed: never = e;
        this.deps.log.error({ gameDayId: id, effect: unperformed }, 'effect not performed');
      }
    }
  }

  /** Waits for step launches and reports in flight (shutdown, tests). */
  settle(): Promise<void> {
    return this.steps.settle();
  }
}
