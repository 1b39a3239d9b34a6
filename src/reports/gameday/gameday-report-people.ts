import type { GameDayNote, GameDayRecord } from '../../core/gameday-record.js';
import { oneLine } from './gameday-report-steps.js';
import { cell, isoUtc, relTime } from '../report-format.js';

/*
 * What the people in the day's roles wrote from the thread, placed under the step it belongs to, and
 * who held the commander's role when. Plain pre-formatted rows for the template.
 */

export interface NoteRow {
  /** "Note by dave (scribe)", "Conclusion by Carol (carol)". */
  label: string;
  time: string;
  rel: string;
  text: string;
}

export interface ActionRow {
  number: number;
  owner: string;
  text: string;
  due: string;
  /** "step 2 (Half of checkout)" or "before step 1". */
  step: string;
  by: string;
  time: string;
}

export interface RoleRow {
  role: string;
  who: string;
  from: string;
  until: string;
  how: string;
}

/** What one step gets in the report besides its run. */
export interface StepPeople {
  conclusions: NoteRow[];
  notes: NoteRow[];
  actions: ActionRow[];
}

export interface PeopleView {
  /** Notes written before step 1 ran. */
  beforeSteps: NoteRow[];
  perStep: StepPeople[];
  actions: ActionRow[];
  roleHistory: RoleRow[];
}

export function peopleView(gd: GameDayRecord, origin: number, who: (id: string) => string): PeopleView {
  const stepLabel = (i: number | null) => (i === null ? 'before step 1' : `step ${i + 1} (${cell(oneLine(gd.steps[i]?.name ?? '?'))})`);
  const row = (n: GameDayNote): NoteRow => ({
    label: `${n.kind === 'conclusion' ? 'Conclusion' : 'Note'} by ${who(n.by.id)}${n.kind === 'note' && n.scribe ? ' (scribe)' : ''}`,
    time: isoUtc(n.at),
    rel: relTime(n.at, origin),
    text: oneLine(n.text),
  });
  const actions: ActionRow[] = gd.actions.map((a) => ({
    number: a.number,
    owner: cell(who(a.owner)),
    text: cell(a.text),
    due: a.due ?? '—',
    step: stepLabel(a.step),
    by: cell(who(a.by.id)),
    time: isoUtc(a.at),
  }));
  const perStep = gd.steps.map((s) => ({
    conclusions: gd.notes.filter((n) => n.step === s.index && n.kind === 'conclusion').map(row),
    notes: gd.notes.filter((n) => n.step === s.index && n.kind === 'note').map(row),
    actions: actions.filter((_, i) => gd.actions[i]!.step === s.index),
  }));
  return { beforeSteps: gd.notes.filter((n) => n.step === null).map(row), perStep, actions, roleHistory: [...commanderHistory(gd, who), ...otherRoles(gd, who)] };
}

/**
 * The roles that never change hands during the day: the scribe and observers the file names, a
 * blinded drill's responders, and the on-call who acknowledged before the first injection.
 */
function otherRoles(gd: GameDayRecord, who: (id: string) => string): RoleRow[] {
  const from = isoUtc(gd.proposedAt);
  const until = gd.endedAt !== null ? isoUtc(gd.endedAt) : 'now';
  const named = (role: string, id: string, how = 'named in the file'): RoleRow => ({ role, who: cell(who(id)), from, until, how });
  const rows: RoleRow[] = [];
  if (gd.roles.scribe) rows.push(named('scribe', gd.roles.scribe));
  for (const o of gd.roles.observers) rows.push(named('observer', o));
  for (const r of gd.drill?.responders ?? []) rows.push(named('responder', r, `named in the file; not told what ran until the reveal${gd.drill?.revealedAt ? ` at ${isoUtc(gd.drill.revealedAt)}` : ''}`));
  for (const h of gd.onCall) {
    for (const a of h.acks) rows.push({ role: 'on-call', who: cell(who(a.by.id)), from: isoUtc(a.at), until, how: cell(`acknowledged for ${a.serviceId} before the first injection`) });
  }
  return rows;
}

/** Who was commander when: the one the file named from the proposal, then each hand-over. */
function commanderHistory(gd: GameDayRecord, who: (id: string) => string): RoleRow[] {
  const changes = gd.roleHistory.filter((c) => c.role === 'commander');
  const end = gd.endedAt !== null ? isoUtc(gd.endedAt) : 'now';
  const first = changes[0]?.from ?? gd.roles.commander;
  const rows: RoleRow[] = [{ role: 'commander', who: cell(who(first)), from: isoUtc(gd.proposedAt), until: changes[0] ? isoUtc(changes[0].at) : end, how: 'named in the file' }];
  changes.forEach((c, i) => {
    const next = changes[i + 1];
    const how = c.authority === 'timeout' ? `taken over by ${who(c.by.id)}, the commander silent past the timeout` : `handed over by ${who(c.by.id)}`;
    rows.push({ role: 'commander', who: cell(who(c.to)), from: isoUtc(c.at), until: next ? isoUtc(next.at) : end, how: cell(how) });
  });
  return rows;
}
