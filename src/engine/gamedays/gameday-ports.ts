import type { Actor } from '../../core/actor.js';
import type { Clock } from '../../core/clock.js';
import type { GameDayEvent } from '../../core/gameday-lifecycle.js';
import type { AdapterLogger, ChatPort } from '../../core/ports.js';
import type { LoadedGameDay } from '../../playbooks/validate-gameday.js';
import type { Store } from '../../store/index.js';
import type { Notifier } from '../chat/notifier.js';
import type { EngineSettings } from '../engine-deps.js';
import type { ExperimentService } from '../experiments/experiment-service.js';
import type { Journal } from '../journal.js';
import type { OnCallDesk } from '../guards/oncall-desk.js';
import type { GameDayRepo, StoredGameDay } from './gameday-repo.js';

/**
 * What game days need of experiments: each step is an ordinary experiment, proposed, approved,
 * started and aborted through the experiments API, so every invariant of a single run holds for it.
 */
export type GameDayExperiments = Pick<
  ExperimentService,
  | 'playbookSpec'
  | 'planFor'
  | 'pastRuns'
  | 'approvalPolicy'
  | 'approversNow'
  | 'checkStartRules'
  | 'proposeSpec'
  | 'approve'
  | 'start'
  | 'abort'
  | 'find'
  | 'get'
  | 'subscribe'
  | 'runEnded'
>;

export interface GameDayDeps {
  store: Store;
  journal: Journal;
  notifier: Notifier;
  clock: Clock;
  log: AdapterLogger;
  settings: Pick<EngineSettings, 'ladderWindowMs' | 'proposalTtlMs' | 'approval'>;
  gamedays: () => ReadonlyMap<string, LoadedGameDay>;
  random: () => number;
  /** Asks the on-call before the day's first injection (`onCall: require`). */
  onCalls: OnCallDesk;
  /** Reads the responders' channel back for a blinded drill's detection record (where the chat can). */
  chat: Pick<ChatPort, 'history'>;
  /** Incident-system services linked to every run (config), on top of each step's own. */
  linkedServices: readonly string[];
  /** Where the report of game day `id` is written. */
  reportPath: (id: string) => string;
  /** Renders and writes the report; resolves to its path and text. */
  writeReport: (entry: StoredGameDay) => Promise<{ path: string; text: string }>;
  /** How long the report waits for the steps' runs to draft their post-mortems (default 30 s). */
  postmortemWaitMs?: number;
}

/** What the step runner needs of the game-day service: its records and its one way to change them. */
export interface GameDayHost {
  readonly repo: GameDayRepo;
  apply(id: string, event: GameDayEvent, actor?: Actor): StoredGameDay;
  /** Redraws the day's card after a change made outside a transition (an on-call handshake). */
  refreshCard(entry: StoredGameDay, force?: boolean): void;
}
