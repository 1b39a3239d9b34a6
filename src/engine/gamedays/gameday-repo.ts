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
/** Days whose thread people are writing in: approved and not finished (a proposed day has not begun). */
const UNDER_WAY: GameDayState[] = ['approved', 'running', 'checkpoint', 'held'];

/** Game-day snapshots in SQLite; every write goes to the file at once so a crash loses nothing. */
export class GameDayRepo {
  constructor(private readonly store: Store) {}

  save(entry: StoredGameDay): void {
    const r = entry.record;
    this.store.gamedays.save({ id: r.id, name: r.name, state: r.state, updatedAt: r.updatedAt, data: entry });
  }

  /** The stored day with its record changed by `change` (outside a transition: a handshake, a drill's reveal). */
  update(id: string, change: (record: GameDayRecord) => GameDayRecord): StoredGameDay {
    const entry = this.get(id);
    const next = { ...entry, record: change(entry.record) };
    this.save(next);
    return next;
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

  /**
   * The game day a message in `channel` with thread `ts` belongs to: the one whose card is that
   * message (any state: a conclusion may come after the day closed); else, when exactly one day is
   * under way in the channel, that one (a reply in a step's own thread, say). A chat message carries
   * no game-day id, so a note added from a message (Slack's shortcut) is found by its thread.
   */
  byThread(channel: string, ts: string): StoredGameDay {
    // Every day ever run is looked at, so the card is read from the raw row; only the match is parsed.
    const byCard = this.store.gamedays.list().find((r) => {
      const card = (r.data as Partial<StoredGameDay>).card;
      return card?.channel === channel && card.ts === ts;
    });
    if (byCard) return revive(byCard.data);
    const here = this.list({ states: UNDER_WAY }).filter((g) => g.card?.channel === channel || g.record.channel === channel);
    if (here.length === 1) return here[0]!;
    const why = here.length === 0 ? 'no game day is under way in this channel' : `${here.length} game days are under way in this channel (${here.map((g) => g.record.id).join(', ')})`;
    throw new FaultlineError(
      'gameday_not_found',
      `that message is not in a game day's thread and ${why}; use /chaos gameday note <gd-id> <text>`,
      { channel, threadTs: ts, candidates: here.map((g) => g.record.id) },
    );
  }
}

function revive(data: unknown): StoredGameDay {
  const d = data as StoredGameDay;
  return { record: GameDayRecord.parse(d.record), spec: d.spec, stepSpecs: d.stepSpecs, card: d.card ?? null };
}
