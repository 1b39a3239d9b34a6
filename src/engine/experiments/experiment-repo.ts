import { FaultlineError } from '../../core/errors.js';
import { ExperimentRecord, isTerminal } from '../../core/experiment.js';
import type { Experiment } from '../../core/playbook.js';
import type { MessageRef } from '../../core/ports.js';
import type { Store } from '../../store/index.js';

/** What is persisted per experiment: the core record, the playbook as run, and where its card is. */
export interface StoredExperiment {
  record: ExperimentRecord;
  spec: Experiment;
  card: MessageRef | null;
}

/**
 * Snapshots of experiments. Reads go to memory for live ones; every write goes to SQLite at once so
 * a crash loses nothing.
 */
export class ExperimentRepo {
  private readonly live = new Map<string, StoredExperiment>();
  /** Finished experiments already parsed, by id and version, so listings do not re-validate them. */
  private readonly parsed = new Map<string, { updatedAt: number; entry: StoredExperiment }>();

  constructor(private readonly store: Store) {}

  save(entry: StoredExperiment): void {
    this.saveWith(entry, () => undefined);
  }

  /** Saves the entry and runs `alongside` (a journal write) in one transaction: both land or neither does. */
  saveWith(entry: StoredExperiment, alongside: () => void): void {
    this.store.transaction(() => {
      this.store.experiments.save({ id: entry.record.id, name: entry.record.name, state: entry.record.state, updatedAt: entry.record.updatedAt, data: entry });
      alongside();
    });
    // The cache follows the store only once the write is committed.
    if (isTerminal(entry.record.state)) this.live.delete(entry.record.id);
    else this.live.set(entry.record.id, entry);
  }

  find(id: string): StoredExperiment | undefined {
    const live = this.live.get(id);
    if (live) return live;
    const row = this.store.experiments.get(id);
    return row ? this.revive(row.data) : undefined;
  }

  get(id: string): StoredExperiment {
    const found = this.find(id);
    if (!found) throw new FaultlineError('experiment_not_found', `no experiment ${id}; /chaos list shows the recent ones`, { experimentId: id });
    return found;
  }

  list(filter: { states?: string[]; limit?: number } = {}): StoredExperiment[] {
    return this.store.experiments.list(filter).map((r) => {
      const live = this.live.get(r.id);
      if (live && live.record.updatedAt === r.updatedAt) return live;
      const known = this.parsed.get(r.id);
      if (known && known.updatedAt === r.updatedAt) return known.entry;
      const entry = this.revive(r.data);
      this.parsed.set(r.id, { updatedAt: r.updatedAt, entry });
      if (this.parsed.size > 2000) this.parsed.delete(this.parsed.keys().next().value!);
      return entry;
    });
  }

  running(): StoredExperiment[] {
    return this.list({ states: ['running'] });
  }

  exists(id: string): boolean {
    return this.find(id) !== undefined;
  }

  private revive(data: unknown): StoredExperiment {
    const d = data as StoredExperiment;
    return { record: ExperimentRecord.parse(d.record), spec: d.spec, card: d.card ?? null };
  }
}
