import { actorLabel, type Actor } from './actor.js';
import { isApprover } from './approval.js';
import { formatDuration } from './duration.js';
import { FaultlineError } from './errors.js';
import { commanderLost } from './gameday-lifecycle.js';
import { isGameDayTerminal, type GameDayActionItem, type GameDayNote, type GameDayRecord, type GameDayRoleChange } from './gameday-record.js';

/*
 * The people side of a game day: observations, conclusions, action items and hand-overs. Pure like the
 * lifecycle: each function checks who may, and returns the new record or throws a coded refusal, so a
 * refused command changes nothing.
 */

/** The step a note typed now belongs to: the one running, else the last one that started; null before step 1. */
export function stepOfNow(gd: GameDayRecord): number | null {
  if (gd.current !== null) return gd.current;
  const started = gd.steps.filter((s) => s.startedAt !== null);
  return started.length ? started[started.length - 1]!.index : null;
}

/** Which of the day's roles `actor` holds (approvers as known now), in the order they matter. */
export function rolesOf(gd: GameDayRecord, actor: Actor, approvers: readonly string[]): string[] {
  const out: string[] = [];
  if (isApprover(actor, [gd.roles.commander])) out.push('commander');
  if (gd.roles.scribe && isApprover(actor, [gd.roles.scribe])) out.push('scribe');
  if (isApprover(actor, gd.roles.observers)) out.push('observer');
  if (isApprover(actor, approvers)) out.push('approver');
  return out;
}

/** Notes, conclusions and action items come from the day's roles only; the day must not be closed before it ran. */
function checkNoter(gd: GameDayRecord, actor: Actor, approvers: readonly string[], what: string): string[] {
  if (gd.state === 'proposed' || gd.state === 'rejected' || gd.state === 'expired' || gd.state === 'cancelled') {
    throw new FaultlineError('illegal_transition', `${gd.id} is ${gd.state}; ${what} is possible once it is approved`, { gameDayId: gd.id, state: gd.state });
  }
  const roles = rolesOf(gd, actor, approvers);
  if (roles.length === 0) {
    throw new FaultlineError('gameday_role', `only the day's commander, scribe, observers and approvers can ${what} on ${gd.id}`, { gameDayId: gd.id, actor: actor.id });
  }
  return roles;
}

export interface NoteInput {
  kind: GameDayNote['kind'];
  actor: Actor;
  text: string;
  approvers: readonly string[];
  /** The step it belongs to when the caller knows better than now (a conclusion typed with Continue). */
  step?: number | null;
}

export function addNote(gd: GameDayRecord, input: NoteInput, now: number): { record: GameDayRecord; note: GameDayNote } {
  const roles = checkNoter(gd, input.actor, input.approvers, input.kind === 'note' ? 'add a note' : 'conclude a step');
  const step = input.step !== undefined ? input.step : stepOfNow(gd);
  if (input.kind === 'conclusion' && step === null) {
    throw new FaultlineError('illegal_transition', `no step of ${gd.id} has run yet; a conclusion belongs to a step`, { gameDayId: gd.id });
  }
  const note: GameDayNote = { kind: input.kind, by: input.actor, at: now, step, scribe: roles.includes('scribe'), text: input.text };
  return { record: { ...gd, notes: [...gd.notes, note], updatedAt: now }, note };
}

export interface ActionInput {
  actor: Actor;
  owner: string;
  text: string;
  due: string | null;
  approvers: readonly string[];
}

export function addAction(gd: GameDayRecord, input: ActionInput, now: number): { record: GameDayRecord; action: GameDayActionItem } {
  checkNoter(gd, input.actor, input.approvers, 'add an action item');
  const action: GameDayActionItem = { number: gd.actions.length + 1, owner: input.owner, text: input.text, due: input.due, by: input.actor, at: now, step: stepOfNow(gd) };
  return { record: { ...gd, actions: [...gd.actions, action], updatedAt: now }, action };
}

/**
 * The commander hands over to `to`; an approver may take the role over (for themselves or another)
 * only when the commander has been silent past the day's commanderTimeout. The new commander counts
 * as just seen, so the day does not hold for the silence of the one before.
 */
export function handover(gd: GameDayRecord, input: { actor: Actor; to: string; approvers: readonly string[] }, now: number): { record: GameDayRecord; change: GameDayRoleChange } {
  if (isGameDayTerminal(gd.state)) {
    throw new FaultlineError('illegal_transition', `${gd.id} is ${gd.state}; there is nothing left to command`, { gameDayId: gd.id, state: gd.state });
  }
  const from = gd.roles.commander;
  // The commander reads the facilitator's thread: a drill's responder taking over would learn what runs.
  if (gd.drill?.responders.includes(input.to)) {
    throw new FaultlineError('gameday_role', `${input.to} is a responder of the blinded drill ${gd.id}: a responder cannot command it`, { gameDayId: gd.id, field: 'user' });
  }
  if (input.to === from) {
    throw new FaultlineError('command_usage', `${input.to} is already the commander of ${gd.id}`, { gameDayId: gd.id, field: 'user' });
  }
  let authority: GameDayRoleChange['authority'];
  if (isApprover(input.actor, [from])) authority = 'commander';
  else if (isApprover(input.actor, input.approvers) && commanderLost(gd, now)) authority = 'timeout';
  else {
    const silent = formatDuration(Math.max(0, now - gd.commanderSeenAt));
    throw new FaultlineError(
      'gameday_role',
      `only the commander (${from}) can hand ${gd.id} over; an approver can once the commander has been silent for ${formatDuration(gd.commanderTimeoutMs)} (silent for ${silent})`,
      { gameDayId: gd.id, actor: input.actor.id, commander: from },
    );
  }
  const change: GameDayRoleChange = { role: 'commander', from, to: input.to, by: input.actor, at: now, authority, step: stepOfNow(gd) };
  const record = { ...gd, roles: { ...gd.roles, commander: input.to }, roleHistory: [...gd.roleHistory, change], commanderSeenAt: now, updatedAt: now };
  return { record, change };
}

/** The thread's line for a hand-over. */
export function handoverText(c: GameDayRoleChange): string {
  const how = c.authority === 'timeout' ? ` (taken over by ${actorLabel(c.by)}: the commander was silent past the timeout)` : '';
  return `commander handed over from ${c.from} to ${c.to}${how}`;
}
