import { FaultlineError } from '../../core/errors.js';
import { GameDayRecord, type GameDayState } from '../../core/gameday-record.js';
import type { GameDaySpec } from '../../core/gameday.js';
import type { Experiment } from '../../core/playbook.js';
import type { MessageRef } from '../../core/ports.js';
import type { Store } from '../../store/index.js';

/** What is persisted per game day: the record, the spec and every step's experiment as approved, and the card. */
export interface StoredGameDay {
  record: GameDayRecord;
  spec: GameDaySpec;
  stepSpecs: Experiment[];
  card: MessageRef | null;
}

const ACTIVE: GameDayState[] = ['proposed', 'approved', 'running', 'checkpoint', 'held'];

/** Game-day snapshots in SQLite; every write goes to the file at once so a crash loses nothing. */
export class GameDayRepo {
  constructor(private readonly store: Store) {}

  save(entry: StoredGameDay): void {
    const r = entry.record;
    this.store.gamedays.save({ id: r.id, name: r.name, state: r.state, updatedAt: r.updatedAt, data: entry });
  }

  find(id: string): StoredGameDay | undefined {
    const row = this.store.gamedays.get(id);
    return row ? revive(row.data) : undefined;
  }

  get(id: string): StoredGameDay {
    const found = this.find(id);
    if (!found) throw new FaultlineError('gameday_not_found', `no game day ${id}; /chaos gameday list shows the recent ones`, { gameDayId: id });
    return found;
  }

  list(filter: { states?: GameDayState[]; limit?: number } = {}): StoredGameDay[] {
    return this.store.gamedays.list(filter).map((r) => revive(r.data));
  }

  /** Not finished: proposed, approved, running, at a checkpoint or held. */
  active(): StoredGameDay[] {
    return this.list({ states: ACTIVE });
  }
}

function revive(data: unknown): StoredGameDay {
  const d = data as StoredGameDay;
  return { record: GameDayRecord.parse(d.record), spec: d.spec, stepSpecs: d.stepSpecs, card: d.card ?? null };
}
