import type { Actor } from '../core/actor.js';
import type { Clock } from '../core/clock.js';
import type { Store, StoredEvent } from '../store/index.js';

/** Appends to the hash-chained log: every step of every experiment, with actor and time. */
export class Journal {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  record(kind: string, experimentId: string | null, actor: Actor, data: Record<string, unknown> = {}): StoredEvent {
    return this.store.append({ at: this.clock.now(), actor: actor.id, kind, experimentId, data });
  }

  of(experimentId: string): StoredEvent[] {
    return this.store.journal(experimentId);
  }
}
