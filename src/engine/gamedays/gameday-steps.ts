import { basename } from 'node:path';
import { SYSTEM, type Actor } from '../../core/actor.js';
import { isFaultlineError, errorText } from '../../core/errors.js';
import { isTerminal, type ExperimentRecord, type Plan } from '../../core/experiment.js';
import { checkpointMessage } from '../../core/gameday-card.js';
import { stepOutcome } from '../../core/gameday-lifecycle.js';
import { describeDrift, gameDayHash } from './gameday-plan.js';
import type { StoredGameDay } from './gameday-repo.js';
import type { GameDayDeps, GameDayExperiments, GameDayHost } from './gameday-ports.js';
import { linkedServices } from '../../core/linked-services.js';
import { within } from '../../lib/within.js';
import { DEFAULT_ONCALL_TIMEOUT_MS, unacknowledgedError, type OnCallHandshake } from '../../core/oncall.js';

/** How long a game-day report waits for its steps' post-mortems by default. */
const POSTMORTEM_WAIT_MS = 30_000;

/**
 * Runs the steps of game days and follows them to their end. Work for one game day is chained, so
 * a step's end is never handled before its launch finished; an abort never waits on the chain.
 */
export class GameDaySteps {
  private readonly chains = new Map<string, Promise<void>>();
  /** Step experiments closed by the game day itself (a refused or drifted start): their end is not a step end. */
  private readonly closing = new Set<string>();

  constructor(
    private readonly days: GameDayHost,
    private readonly experiments: GameDayExperiments,
    private readonly deps: Pick<GameDayDeps, 'log' | 'writeReport' | 'journal' | 'notifier' | 'postmortemWaitMs' | 'onCalls' | 'linkedServices'>,
  ) {
    experiments.subscribe((before, after) => {
      if (!after.gameDay || !isTerminal(after.state) || isTerminal(before.state)) return;
      if (this.closing.delete(after.id)) return;
      const gameDayId = after.gameDay.id;
      this.enqueue(gameDayId, async () => this.recordOutcome(gameDayId, after));
    });
  }

  private enqueue(id: string, fn: () => Promise<void>): void {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.then(fn).catch((err: unknown) => this.deps.log.error({ gameDayId: id, err }, 'game-day step work failed'));
    this.chains.set(id, next);
    void next.then(() => {
      if (this.chains.get(id) === next) this.chains.delete(id);
    });
  }

  async settle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  launch(id: string, index: number, actor: Actor): void {
    this.enqueue(id, () => this.run(id, index, actor));
  }

  private stillCurrent(id: string, index: number): boolean {
    const r = this.days.repo.get(id).record;
    return r.state === 'running' && r.current === index;
  }

  /** Closes a step experiment the game day will not run, without counting it as the step's end. */
  private close(experimentId: string, reason: string): void {
    const exp = this.experiments.find(experimentId);
    if (!exp || isTerminal(exp.record.state)) return;
    this.closing.add(experimentId);
    try {
      this.experiments.abort(experimentId, SYSTEM, reason);
    } catch (err) {
      this.closing.delete(experimentId);
      this.deps.log.warn({ experimentId, err }, 'closing a game-day step failed');
    }
  }

  private refuse(id: string, index: number, reason: string, drift?: StoredGameDay['record']['pendingApproval']): void {
    if (!this.stillCurrent(id, index)) return;
    this.days.apply(id, { type: 'step-refused', index, reason, ...(drift ? { drift } : {}) }, SYSTEM);
  }

  /** The step resolves to another plan than its approval covered: the day holds until an approver covers it. */
  private refuseDrift(entry: StoredGameDay, index: number, now: { plan: Plan; planHash: string }): void {
    const step = entry.record.steps[index]!;
    const hashes = entry.record.steps.map((s) => (s.index === index ? now.planHash : s.planHash));
    const reason = describeDrift(step.plan, now.plan);
    this.refuse(entry.record.id, index, `its plan changed since approval (${reason})`, {
      step: index,
      plan: now.plan,
      planHash: now.planHash,
      gameDayHash: gameDayHash(hashes, entry.spec),
      reason,
    });
  }

  /**
   * Checks the step before anything is proposed: its plan is still the approved one, and every start
   * rule (halt, caps, one run per target, freeze, ladder, incidents) lets it start now. A step refused
   * here posts no card and asks nobody; the game day holds with the reason, said once in its thread.
   */
  private async startable(entry: StoredGameDay, index: number): Promise<boolean> {
    const id = entry.record.id;
    const step = entry.record.steps[index]!;
    const spec = entry.stepSpecs[index]!;
    try {
      const now = await this.experiments.planFor(spec, step.plan.seed);
      if (now.hash !== step.planHash) {
        this.refuseDrift(entry, index, { plan: now.plan, planHash: now.hash });
        return false;
      }
      await this.experiments.checkStartRules({ id: `${id} step ${index + 1}`, plan: now.plan, spec });
      return true;
    } catch (err) {
      this.refuse(id, index, errorText(err));
      return false;
    }
  }

  /**
   * Checks the step can start, proposes it with the seed its approval covered, approves it on the game
   * day's approval and starts it. The start applies every rule again as to any run (something may have
   * changed since the check); a refusal there closes the step's experiment and the day holds likewise.
   */
  private async run(id: string, index: number, actor: Actor): Promise<void> {
    if (!this.stillCurrent(id, index)) return;
    const entry = this.days.repo.get(id);
    const step = entry.record.steps[index]!;
    const approver = entry.record.approval?.by;
    if (!approver) return this.refuse(id, index, 'the game day has no approval');
    if (!(await this.onCallReady(entry, index, actor)) || !this.stillCurrent(id, index)) return;
    if (!(await this.startable(entry, index)) || !this.stillCurrent(id, index)) return;
    let expId: string;
    try {
      const exp = await this.experiments.proposeSpec(entry.stepSpecs[index]!, {
        actor: entry.record.proposedBy,
        channel: entry.record.channel,
        origin: { gameDay: { id, step: index, ...(entry.record.drill ? { blinded: true } : {}) }, seed: step.plan.seed },
      });
      expId = exp.record.id;
      if (exp.record.planHash !== step.planHash) {
        this.close(expId, `plan changed since game day ${id} was approved`);
        return this.refuseDrift(entry, index, exp.record);
      }
    } catch (err) {
      return this.refuse(id, index, errorText(err));
    }
    try {
      if (!this.stillCurrent(id, index)) return this.close(expId, `game day ${id} stopped before this step started`);
      await this.experiments.approve(expId, approver);
      if (!this.stillCurrent(id, index)) return this.close(expId, `game day ${id} stopped before this step started`);
      this.days.apply(id, { type: 'step-started', index, experimentId: expId }, SYSTEM);
      await this.experiments.start(expId, actor);
    } catch (err) {
      this.close(expId, `step could not start: ${errorText(err)}`);
      // The day's approval no longer carries this step (its approver left the approvers, say): an approver must cover it again.
      const approval = isFaultlineError(err) && err.code.startsWith('approval_');
      const again = { step: index, plan: step.plan, planHash: step.planHash, gameDayHash: entry.record.planHash, reason: errorText(err) };
      this.refuse(id, index, errorText(err), approval ? again : undefined);
    }
  }

  /**
   * `onCall: require` (the day's, or any step's playbook): before the day's first injection the
   * on-call of every service its steps link must acknowledge. True when the step may go on; else the
   * ask is out (the step runs once they acknowledge) or was refused (the day holds, saying why).
   */
  private async onCallReady(entry: StoredGameDay, index: number, actor: Actor): Promise<boolean> {
    const r = entry.record;
    const required = entry.spec.onCall === 'require' || entry.stepSpecs.some((s) => s.onCall === 'require');
    if (!required || r.onCall.some((h) => h.outcome === 'acknowledged')) return true;
    const services = linkedServices(entry.stepSpecs, this.deps.linkedServices);
    const timeoutMs = entry.spec.onCallTimeout ?? (Math.max(0, ...entry.stepSpecs.map((s) => s.onCallTimeout ?? 0)) || DEFAULT_ONCALL_TIMEOUT_MS);
    try {
      const h = await this.deps.onCalls.ask({
        subject: r.id,
        services,
        actor,
        timeoutMs,
        thread: { key: r.id, card: entry.card, channel: r.channel },
        announceTimeout: false,
        linkThread: !r.drill,
        onEnd: (ended) => this.enqueue(r.id, async () => this.onCallEnded(r.id, index, actor, ended, timeoutMs)),
      });
      this.keepHandshake(r.id, h);
    } catch (err) {
      this.refuse(r.id, index, errorText(err));
    }
    return false;
  }

  private async onCallEnded(id: string, index: number, actor: Actor, h: OnCallHandshake, timeoutMs: number): Promise<void> {
    this.keepHandshake(id, h);
    if (h.outcome === 'acknowledged') return this.run(id, index, actor);
    if (h.outcome === 'unacknowledged') this.refuse(id, index, unacknowledgedError(h, timeoutMs).message);
  }

  /** The handshake on the day's record (the report lists it), replacing its earlier state. */
  private keepHandshake(id: string, h: OnCallHandshake): void {
    const next = this.days.repo.update(id, (r) => ({ ...r, onCall: [...r.onCall.filter((o) => o.askedAt !== h.askedAt), h].sort((a, b) => a.askedAt - b.askedAt) }));
    this.days.refreshCard(next);
  }

  /** A step's experiment ended: the game day decides what comes next. */
  recordOutcome(id: string, exp: ExperimentRecord): void {
    const gd = this.days.repo.find(id)?.record;
    if (!gd || gd.current !== exp.gameDay?.step || gd.steps[gd.current]?.experimentId !== exp.id) return;
    this.days.apply(id, { type: 'step-ended', outcome: stepOutcome(gd.current, exp) }, SYSTEM);
  }

  abortStep(experimentId: string, actor: Actor, reason: string): void {
    try {
      // The day's abort was decided (anyone may abort a running day). A step not yet running is
      // closed by the bot, so the cancel rule of a single experiment never leaves it waiting to start.
      const pending = this.experiments.find(experimentId)?.record.state !== 'running';
      this.experiments.abort(experimentId, pending ? SYSTEM : actor, reason);
    } catch (err) {
      // Already over (it ended as the abort came in): its end reaches the game day the usual way.
      this.deps.log.info({ experimentId, err }, 'game-day abort found the step already ending');
    }
  }

  /** The checkpoint question in the thread, with the last step's verdict and last guardrail readings. */
  postCheckpoint(entry: StoredGameDay, beforeStep: number): void {
    const prev = beforeStep > 0 ? entry.record.steps[beforeStep - 1] : undefined;
    const stepRun = entry.record.steps[beforeStep];
    const source = prev?.experimentId ?? stepRun?.experimentId ?? null;
    const last = source ? this.deps.journal.of(source).filter((e) => e.kind === 'reading').at(-1) : undefined;
    const readings = ((last?.data as { results?: Array<{ name: string; status: 'ok' | 'pending' | 'breach' | 'blind'; detail: string }> } | undefined)?.results ?? []).map((r) => ({
      name: r.name,
      status: r.status,
      detail: r.detail,
    }));
    this.deps.notifier.reply(entry.record.id, entry.card, entry.record.channel, checkpointMessage(entry.record, beforeStep, readings));
  }

  /** Writes the report and posts it to the thread (a file where the chat takes one, the path otherwise). */
  /** `upload: false` rewrites the file only (a note added after the day ended: the thread has the note). */
  /** `before` runs first (a drill's reveal), once the steps' runs are done; its failure is logged and the report still written. */
  report(id: string, opts: { upload?: boolean; before?: () => Promise<void> } = {}): void {
    this.enqueue(id, async () => {
      // A step's end reaches the day before its run drafts the post-mortem: wait for the runs (bounded, a
      // hung draft never keeps the report back), so the report links the post-mortems that exist.
      const runs = this.days.repo.get(id).record.steps.flatMap((s) => (s.experimentId ? [s.experimentId] : []));
      const waitMs = this.deps.postmortemWaitMs ?? POSTMORTEM_WAIT_MS;
      const ended = await within(Promise.all(runs.map((r) => this.experiments.runEnded(r))).then(() => true), waitMs);
      if (!ended) this.deps.log.warn({ gameDayId: id, waitMs }, 'game-day report written before every step finished its post-mortem');
      if (opts.before) await opts.before().catch((err: unknown) => this.deps.log.error({ gameDayId: id, err }, 'work before the game-day report failed'));
      const entry = this.days.repo.get(id);
      const { path, text: content } = await this.deps.writeReport(entry);
      this.deps.journal.record('gameday-report', id, SYSTEM, { path });
      if (opts.upload === false) return;
      const title = `Game-day report: ${entry.record.title} (${id})`;
      this.deps.notifier.upload(id, entry.card, entry.record.channel, { path, filename: basename(path), title, content });
    });
  }
}
