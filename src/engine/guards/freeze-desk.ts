import type { Actor } from '../../core/actor.js';
import type { ActiveFreeze, FreezeWindow, IncidentFreeze } from '../../core/freeze.js';
import type { Journal } from '../journal.js';
import type { FreezeWindows } from './freeze-windows.js';
import type { IncidentBook } from './incident-book.js';

/** What `/chaos freeze list` shows: the freeze in force, every window, and services frozen by incidents. */
export interface FreezeOverview {
  active: ActiveFreeze | null;
  windows: FreezeWindow[];
  incidentFreezes: IncidentFreeze[];
}

/** Freezes as people change them from chat: every change journaled with who made it. */
export class FreezeDesk {
  constructor(
    private readonly windows: FreezeWindows,
    private readonly incidents: Pick<IncidentBook, 'active'>,
    private readonly journal: Journal,
  ) {}

  overview(): FreezeOverview {
    return { active: this.windows.active(), windows: this.windows.all(), incidentFreezes: this.incidents.active() };
  }

  add(from: number, to: number, reason: string, actor: Actor): Extract<FreezeWindow, { kind: 'once' }> {
    const w = this.windows.add(from, to, reason, actor.id);
    this.journal.record('freeze-added', null, actor, { ...w });
    return w;
  }

  /** False when no chat-added window has this id (configured windows change in the config file). */
  remove(id: string, actor: Actor): boolean {
    const removed = this.windows.remove(id);
    this.journal.record('freeze-removed', null, actor, { id, removed });
    return removed;
  }
}
