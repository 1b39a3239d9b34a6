import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { EngineStatus } from '../core/status-card.js';
import type { ExperimentService } from './experiments/experiment-service.js';
import type { GameDayService } from './gamedays/gameday-service.js';
import type { FreezeDesk } from './guards/freeze-desk.js';
import type { OnCallDesk } from './guards/oncall-desk.js';
import type { Journal } from './journal.js';
import type { ScheduleBook } from './schedules/schedule-book.js';
import type { StandingDesk } from './experiments/standing-desk.js';

/**
 * What chat commands and chat adapters see of the engine: the three services, freezes as people
 * change them, the engine's clock, the audit line of a command, and a summary for `/chaos status`.
 */
export interface EngineFacade {
  readonly experiments: ExperimentService;
  readonly gamedays: GameDayService;
  readonly schedules: ScheduleBook;
  /** Standing approvals of playbooks for pipeline runs. */
  readonly standing: StandingDesk;
  readonly freezes: FreezeDesk;
  /** On-call handshakes: the on-call acknowledges here (`/chaos oncall ack`, the Acknowledge button). */
  readonly onCalls: Pick<OnCallDesk, 'acknowledge' | 'current'>;
  now(): number;
  /** One audit line per chat command: accepted (`command`) or refused with its code (`refused`). */
  audit(outcome: 'command' | 'refused', subjectId: string | null, actor: Actor, data: Record<string, unknown>): void;
  /** Whether chaos is halted, and what is proposed, approved or running (at most `limit` experiments, plus one to tell there are more). */
  status(limit: number): EngineStatus;
  /** Someone spoke: a game day's commander is still there. */
  seen(actor: Actor): void;
  /** Whether a run is still in progress (a console about to quit says it waits). */
  busy(): boolean;
  /** Resolves when runs, game-day steps and chat messages in flight are done. */
  settle(): Promise<void>;
}

export function createFacade(parts: {
  experiments: ExperimentService;
  gamedays: GameDayService;
  schedules: ScheduleBook;
  standing: StandingDesk;
  freezes: FreezeDesk;
  onCalls: OnCallDesk;
  journal: Journal;
  clock: Clock;
  busy: () => boolean;
  settle: () => Promise<void>;
}): EngineFacade {
  const { experiments, gamedays, schedules, standing, freezes, onCalls, journal, clock } = parts;
  return {
    experiments,
    gamedays,
    schedules,
    standing,
    freezes,
    onCalls,
    now: () => clock.now(),
    audit: (outcome, subjectId, actor, data) => void journal.record(outcome, subjectId, actor, data),
    status: (limit) => ({
      halt: experiments.haltState(),
      experiments: experiments.active(limit + 1).map((e) => e.record),
      gameDays: gamedays.active().map((g) => g.record),
      limit,
    }),
    seen: (actor) => gamedays.seen(actor),
    busy: parts.busy,
    settle: parts.settle,
  };
}
