import type { Actor } from '../../core/actor.js';
import { actorLabel } from '../../core/actor.js';
import { addAction, addNote, handover, handoverText, rolesOf, stepOfNow } from '../../core/gameday-notes.js';
import type { GameDayActionItem, GameDayNote, GameDayRecord, GameDayRoleChange, GameDayState } from '../../core/gameday-record.js';
import { message } from '../../core/message.js';
import type { GameDayDeps, GameDayExperiments } from './gameday-ports.js';
import type { GameDayRepo, StoredGameDay } from './gameday-repo.js';

const stepWord = (gd: GameDayRecord, step: number | null) => (step === null ? 'before step 1' : `step ${step + 1} (${gd.steps[step]?.name ?? '?'})`);

/**
 * Notes, conclusions, action items and hand-overs typed in a game day's thread. The core decides who
 * may (core/gameday-notes.ts); here the new record is saved and journaled in one transaction, then
 * the thread is told. A refusal throws before anything is written.
 */
export class GameDayNotebook {
  constructor(
    private readonly repo: GameDayRepo,
    private readonly experiments: Pick<GameDayExperiments, 'approversNow'>,
    private readonly deps: Pick<GameDayDeps, 'store' | 'journal' | 'notifier' | 'clock'>,
    /** After every change: the card names the commander, and a closed day's report is written again. */
    private readonly changed: (entry: StoredGameDay) => void,
  ) {}

  private commit(entry: StoredGameDay, record: GameDayRecord, kind: string, actor: Actor, data: Record<string, unknown>, line: string): void {
    this.deps.store.transaction(() => {
      this.repo.save({ ...entry, record });
      this.deps.journal.record(kind, record.id, actor, data);
    });
    this.deps.notifier.reply(record.id, entry.card, record.channel, message({ tone: 'info', subject: record.id, sections: [line] }));
    this.changed({ ...entry, record });
  }

  /** Checks a note or conclusion without writing it (Continue checks its conclusion before it moves the day). */
  check(id: string, kind: GameDayNote['kind'], actor: Actor, text: string, step?: number | null): void {
    addNote(this.repo.get(id).record, { kind, actor, text, approvers: this.experiments.approversNow(), ...(step !== undefined ? { step } : {}) }, this.deps.clock.now());
  }

  /**
   * A decision typed with a conclusion (`continue|hold|abort <gd-id> <text>` at a checkpoint): the
   * conclusion is the team's on the step that just ran (an observation before step 1). The decision
   * (`check`, pure) and the conclusion are both checked before anything is written, so a refusal
   * writes neither. `onlyIfInRole`: an abort from someone in no role still aborts, without the text.
   */
  decideWith<T>(id: string, actor: Actor, text: string | undefined, opts: { when: readonly GameDayState[]; onlyIfInRole?: boolean; check: () => void }, decide: () => T): T {
    const before = this.repo.get(id).record;
    const step = stepOfNow(before);
    const kind = step === null ? 'note' : 'conclusion';
    let write = !!text && opts.when.includes(before.state);
    if (write && opts.onlyIfInRole && rolesOf(before, actor, this.experiments.approversNow()).length === 0) write = false;
    if (write) {
      opts.check();
      this.check(id, kind, actor, text!, step);
    }
    const out = decide();
    if (write) this.note(id, kind, actor, text!, step);
    return out;
  }

  note(id: string, kind: GameDayNote['kind'], actor: Actor, text: string, step?: number | null): GameDayNote {
    const entry = this.repo.get(id);
    const now = this.deps.clock.now();
    const { record, note } = addNote(entry.record, { kind, actor, text, approvers: this.experiments.approversNow(), ...(step !== undefined ? { step } : {}) }, now);
    const what = kind === 'conclusion' ? 'conclusion' : note.scribe ? 'note (scribe)' : 'note';
    this.commit(entry, record, `gameday-${kind}`, actor, { kind, step: note.step, scribe: note.scribe, text }, `${what} by ${actorLabel(actor)} on ${stepWord(record, note.step)}: ${text}`);
    return note;
  }

  action(id: string, actor: Actor, input: { owner: string; text: string; due: string | null }): GameDayActionItem {
    const entry = this.repo.get(id);
    const { record, action } = addAction(entry.record, { actor, ...input, approvers: this.experiments.approversNow() }, this.deps.clock.now());
    const due = action.due ? `, due ${action.due}` : '';
    this.commit(entry, record, 'gameday-action', actor, { number: action.number, owner: action.owner, text: action.text, due: action.due, step: action.step }, `action item #${action.number} for ${action.owner}${due}: ${action.text}`);
    return action;
  }

  handover(id: string, actor: Actor, to: string): GameDayRoleChange {
    const entry = this.repo.get(id);
    const { record, change } = handover(entry.record, { actor, to, approvers: this.experiments.approversNow() }, this.deps.clock.now());
    this.commit(entry, record, 'gameday-handover', actor, { role: change.role, from: change.from, to: change.to, authority: change.authority, step: change.step }, handoverText(change));
    return change;
  }
}
