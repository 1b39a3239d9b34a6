import { basename } from 'node:path';
import { SYSTEM, type Actor } from '../../core/actor.js';
import { isFaultlineError, errorText } from '../../core/errors.js';
import { isTerminal, type ExperimentRecord } from '../../core/experiment.js';
import { checkpointMessage } from '../../core/gameday-card.js';
import { stepOutcome } from '../../core/gameday-lifecycle.js';
import { describeDrift, gameDayHash } from './gameday-plan.js';
import type { StoredGameDay } from './gameday-repo.js';
import type { GameDayDeps, GameDayExperiments, GameDayHost } from './gameday-ports.js';

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
    private readonly deps: Pick<GameDayDeps, 'log' | 'writeReport' | 'journal' | 'notifier'>,
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

  /**
   * Proposes the step with the seed its approval covered, checks the plan did not drift, approves it
   * on the game day's approval and starts it. Every start rule (halt, freeze, ladder, incidents, one
   * run per target) applies as to any run; a refusal makes the game day hold with the reason.
   */
  private async run(id: string, index: number, actor: Actor): Promise<void> {
    if (!this.stillCurrent(id, index)) return;
    const entry = this.days.repo.get(id);
    const step = entry.record.steps[index]!;
    const approver = entry.record.approval?.by;
    if (!approver) return this.refuse(id, index, 'the game day has no approval');
    let expId: string;
    try {
      const exp = await this.experiments.proposeSpec(entry.stepSpecs[index]!, {
        actor: entry.record.proposedBy,
        channel: entry.record.channel,
        origin: { gameDay: { id, step: index }, seed: step.plan.seed },
      });
      expId = exp.record.id;
      if (exp.record.planHash !== step.planHash) {
        this.close(expId, `plan changed since game day ${id} was approved`);
        const hashes = entry.record.steps.map((s) => (s.index === index ? exp.record.planHash : s.planHash));
        const reason = describeDrift(step.plan, exp.record.plan);
        return this.refuse(id, index, `its plan changed since approval (${reason})`, {
          step: index,
          plan: exp.record.plan,
          planHash: exp.record.planHash,
          gameDayHash: gameDayHash(hashes, entry.spec),
          reason,
        });
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
  report(id: string): void {
    this.enqueue(id, async () => {
      const entry = this.days.repo.get(id);
      const { path, text: content } = await this.deps.writeReport(entry);
      this.deps.journal.record('gameday-report', id, SYSTEM, { path });
      const title = `Game-day report: ${entry.record.title} (${id})`;
      this.deps.notifier.upload(id, entry.card, entry.record.channel, { path, filename: basename(path), title, content });
    });
  }
}
