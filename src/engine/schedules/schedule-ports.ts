import type { Actor } from '../../core/actor.js';
import type { Notifier } from '../chat/notifier.js';
import type { ExperimentService } from '../experiments/experiment-service.js';
import type { FreezeWindows } from '../guards/freeze-windows.js';
import type { KillSwitch } from '../guards/kill-switch.js';
import type { Journal } from '../journal.js';

/**
 * What schedules need from game days. The game-day engine implements it; without it a schedule
 * cannot name a game day (`schedule add` refuses the name).
 */
export interface ScheduledGameDays {
  /** A loaded game-day playbook of this name exists. */
  has(name: string): boolean;
  /** sha256 of the game day's plan as it is now (steps after overrides): a standing approval binds to it. */
  specHash(name: string): string;
  /** The target scopes (`scopeOf`, src/core/ladder.ts) the game day's steps would hit. */
  scopes(name: string): string[];
  /** The scopes held by game days that are running (or waiting at a checkpoint) now. */
  activeScopes(): string[];
  /**
   * Starts (or, without a standing approval, proposes) the game day. `standing` is the approver whose
   * standing approval covers this run; null means people approve it the usual way.
   */
  launch(input: { name: string; actor: Actor; channel?: string; scheduleId: string; standing: { by: Actor } | null }): Promise<{ id: string }>;
}

/** What schedules need of experiments: names and specs to choose from, and the usual way to run one. */
export type ScheduledExperiments = Pick<ExperimentService, 'playbookNames' | 'playbookSpec' | 'propose' | 'approve' | 'start' | 'get' | 'active'>;

/** What a firing slot checks and tells before it runs anything. */
export interface ScheduleSurroundings {
  experiments: ScheduledExperiments;
  journal: Journal;
  notifier: Pick<Notifier, 'reply'>;
  killSwitch: Pick<KillSwitch, 'state'>;
  freezes: Pick<FreezeWindows, 'all'>;
}
