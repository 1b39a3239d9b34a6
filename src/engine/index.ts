import path from 'node:path';
import { SYSTEM } from '../core/actor.js';
import type { ScheduleSettings } from '../core/schedule.js';
import { draftGameDayReport, gameDayReportPath } from '../reports/gameday/gameday-report.js';
import { Notifier } from './chat/notifier.js';
import type { EngineDeps } from './engine-deps.js';
import { ExperimentRepo } from './experiments/experiment-repo.js';
import { ExperimentService, type TransitionListener } from './experiments/experiment-service.js';
import { reconcile, startReconcileLoop, type ReconcileDeps, type ReconcileReport } from './experiments/reconcile.js';
import { Runner } from './experiments/runner.js';
import { Transitions } from './experiments/transitions.js';
import { createFacade, type EngineFacade } from './facade.js';
import { GameDayRepo } from './gamedays/gameday-repo.js';
import { GameDayService } from './gamedays/gameday-service.js';
import { FreezeDesk } from './guards/freeze-desk.js';
import { FreezeWindows } from './guards/freeze-windows.js';
import { IncidentWatch } from './guards/incident-watch.js';
import { KillSwitch } from './guards/kill-switch.js';
import { OnCallDesk } from './guards/oncall-desk.js';
import { Journal } from './journal.js';
import { createSchedules } from './schedules/schedule-runner.js';
import type { ScheduleBook } from './schedules/schedule-book.js';
import { StandingDesk } from './experiments/standing-desk.js';
import type { ScheduleRunner } from './schedules/schedule-runner.js';
import { mentionGroup } from '../core/mention.js';
import { proposerNotice } from './chat/person-notices.js';

export type { EngineDeps, EngineSettings } from './engine-deps.js';
export type { EngineFacade } from './facade.js';

export interface CreateEngineDeps extends EngineDeps {
  /** Schedules' settings (the runner is built either way; the app starts it when enabled). */
  schedules: ScheduleSettings;
}

/**
 * The engine as built: the three services, the parts they share, and what the composition root
 * needs to run and stop it. Components never receive this object; each was given only its own parts.
 */
export interface Engine {
  /** What chat commands see. */
  facade: EngineFacade;
  experiments: ExperimentService;
  gamedays: GameDayService;
  schedules: ScheduleBook;
  /** Standing approvals of playbooks, and pipeline runs under them. */
  standing: StandingDesk;
  scheduleRunner: ScheduleRunner;
  incidents: IncidentWatch;
  freezes: FreezeWindows;
  killSwitch: KillSwitch;
  journal: Journal;
  runner: Runner;
  notifier: Notifier;
  /** On-call handshakes under way (stopped at shutdown: nothing waits past the process). */
  onCalls: OnCallDesk;
  /** Reverts what crashed runs and orphans left (`startup`), or what no live run holds (`running`). */
  reconcile(mode?: 'startup' | 'running'): Promise<ReconcileReport>;
  /** The running bot's reconcile, every `intervalMs`. */
  startReconcileLoop(intervalMs: number): ReturnType<typeof startReconcileLoop>;
  /** Closes proposals and approvals of experiments and game days that outlived their time. */
  expireStale(): void;
  /** Waits for runs, game-day steps and chat messages in flight (shutdown, tests, the console quitting). */
  settle(): Promise<void>;
}

/**
 * Builds the engine in one place, in dependency order: experiments, then game days (given the
 * experiments API only), then schedules (given both). Nothing is patched in afterwards.
 */
export function createEngine(deps: CreateEngineDeps): Engine {
  const { store, clock, log, settings } = deps;
  const random = deps.random ?? Math.random;
  const repo = new ExperimentRepo(store);
  const journal = new Journal(store, clock);
  const killSwitch = new KillSwitch(store);
  const freezes = new FreezeWindows(store, settings.freezeWindows ?? [], () => clock.now());
  const notifier = new Notifier(deps.chat, clock, log, settings.statusIntervalMs, (what) => deps.metrics?.chatError(what));
  const listeners: TransitionListener[] = [];
  const group = deps.extraApprovers;
  const groupOnCard = group ? (group.groupId ? mentionGroup(group.groupId, group.label) : group.label) : undefined;
  // Asked by DM only: the card names nobody, so the channel is not pinged as well.
  const approversOnCard = () =>
    settings.askApprovers === 'dm' ? ['asked by direct message'] : groupOnCard ? [...settings.approval.approvers, groupOnCard] : settings.approval.approvers;
  const transitions = new Transitions(repo, journal, notifier, clock, approversOnCard, (before, after, card) => {
    if (after.abort && !before.abort) deps.metrics?.aborted(after.abort.code);
    // The proposer hears by DM when their experiment is approved, starts, aborts and ends.
    const notice = proposerNotice(before, after);
    if (notice) notifier.direct(after.proposedBy.id, notice, { linkTo: { key: after.id, ref: card } });
    deps.onTransition?.(before, after, card);
    for (const listen of listeners) listen(before, after);
  }, log);
  const runner = new Runner(deps, repo, transitions, journal, notifier);
  // An incident aborts through the experiments API, built just below; nothing can open before then.
  let experiments: ExperimentService | undefined;
  const incidents = new IncidentWatch({
    repo,
    journal,
    store,
    log,
    now: () => clock.now(),
    settings: deps.incidents?.settings ?? { linkedServices: [], autoFreeze: false, freezeMaxMs: 0, gate: 'on' },
    ...(deps.incidents?.lookup ? { lookup: deps.incidents.lookup } : {}),
    abort: (id, reason) => experiments!.abort(id, SYSTEM, reason, 'incident'),
  });
  const onCalls = new OnCallDesk({
    ...(deps.onCalls ? { directory: deps.onCalls } : {}),
    ...(deps.chat.userByEmail ? { people: { userByEmail: deps.chat.userByEmail.bind(deps.chat) } } : {}),
    notifier,
    journal,
    clock,
    log,
    lookupTimeoutMs: settings.targetTimeoutMs,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  // Game days' records, read-only here: who commands a day decides who may start its steps.
  const gameDayRecords = new GameDayRepo(store);
  experiments = new ExperimentService(deps, {
    repo,
    journal,
    killSwitch,
    freezes,
    notifier,
    transitions,
    runner,
    incidents,
    onCalls,
    subscribe: (listener) => listeners.push(listener),
    commanderOf: (gameDayId) => gameDayRecords.find(gameDayId)?.record.roles.commander,
  });
  const reportTemplate = settings.gameDayReportTemplate ?? path.join(path.dirname(settings.postmortemTemplate), 'gameday-report.md.hbs');
  const gamedays = new GameDayService(experiments, {
    store,
    journal,
    notifier,
    clock,
    log,
    settings,
    gamedays: deps.gamedays ?? (() => new Map()),
    random,
    onCalls,
    linkedServices: deps.incidents?.settings.linkedServices ?? [],
    chat: deps.chat,
    reportPath: (id) => gameDayReportPath(settings.postmortemDir, id),
    writeReport: (entry) => draftGameDayReport({ store, clock, templatePath: reportTemplate, postmortemDir: settings.postmortemDir }, entry.record),
  });
  const { book, runner: scheduleRunner } = createSchedules({
    experiments,
    journal,
    notifier,
    killSwitch,
    freezes,
    store,
    clock,
    log,
    settings: deps.schedules,
    approvers: settings.approval.approvers,
    gameDays: gamedays.forSchedules(),
    random,
  });
  const standing = new StandingDesk({ experiments, store, journal, clock, settings: deps.schedules });
  const reconcileDeps: ReconcileDeps = { repo, journal, transitions, runner, notifier, targets: deps.targets, log, targetTimeoutMs: settings.targetTimeoutMs };
  const settle = async () => {
    await runner.settle();
    await gamedays.settle();
    await notifier.flush();
  };
  const facade = createFacade({
    experiments,
    gamedays,
    schedules: book,
    standing,
    freezes: new FreezeDesk(freezes, incidents.book, journal),
    onCalls,
    journal,
    clock,
    busy: () => runner.isBusy(),
    settle,
  });
  return {
    facade,
    experiments,
    gamedays,
    schedules: book,
    standing,
    scheduleRunner,
    incidents,
    freezes,
    killSwitch,
    journal,
    runner,
    notifier,
    onCalls,
    reconcile: (mode = 'startup') => reconcile(reconcileDeps, mode),
    startReconcileLoop: (intervalMs) => startReconcileLoop(reconcileDeps, intervalMs),
    expireStale: () => {
      experiments.expireStale();
      gamedays.expireStale();
    },
    settle,
  };
}
