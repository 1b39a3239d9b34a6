import { actorLabel } from './actor.js';
import { formatDuration } from './duration.js';
import { listTargets } from './experiment-card.js';
import type { GuardrailResult } from './guardrails.js';
import type { GameDayRecord, GameDayStepRun } from './gameday-record.js';
import { message, type Button, type Message } from './message.js';
import { shortHash } from './plan-hash.js';

/** Button action ids for game days (Slack maps each to `/chaos gameday <verb> <id>`). */
export const GAMEDAY_ACTIONS = { approve: 'gdapprove', reject: 'gdreject', continue: 'gdcontinue', hold: 'gdhold', abort: 'gdabort' } as const;

function stepMark(gd: GameDayRecord, s: GameDayStepRun): string {
  if (gd.current === s.index && gd.state === 'running') return '▶ running';
  if (s.state === null) return gd.next === s.index && !['completed', 'aborted', 'interrupted', 'cancelled', 'rejected', 'expired'].includes(gd.state) ? '… next' : '· not run';
  return `${s.state}${s.verdict ? ` · ${s.verdict}` : ''}`;
}

/** One line per step: its preview (what it would hit) and, once it ran, how it ended. */
export function stepLine(gd: GameDayRecord, s: GameDayStepRun): string {
  const p = s.plan;
  const sel = Object.entries(p.selector).map(([k, v]) => `${k}=${v}`).join(',') || '(all)';
  const id = s.experimentId ? ` · ${s.experimentId}` : '';
  const summary = s.summary ? `\n   ${s.summary}` : '';
  return `${s.index + 1}. ${s.name} — ${p.fault.type} on ${p.adapter} ${sel}, radius ${p.blastRadius}: ${p.targets.length} of ${p.candidates} (${listTargets(p.targets.map((t) => t.name), 5)}) for ${formatDuration(p.durationMs)} — ${stepMark(gd, s)}${id}${summary}`;
}

function buttonsFor(gd: GameDayRecord): Button[] {
  const b = (label: string, verb: keyof typeof GAMEDAY_ACTIONS, style?: 'primary' | 'danger', confirm?: string): Button => ({
    label,
    actionId: GAMEDAY_ACTIONS[verb],
    value: gd.id,
    ...(style ? { style } : {}),
    ...(confirm ? { confirm } : {}),
  });
  switch (gd.state) {
    case 'proposed':
      return [b('Approve game day', 'approve', 'primary'), b('Reject', 'reject', 'danger', `Reject ${gd.id}?`)];
    case 'approved':
    case 'checkpoint':
    case 'held': {
      const list = [b(`Continue: step ${gd.next + 1}`, 'continue', 'primary'), b('Hold', 'hold'), b('Abort game day', 'abort', 'danger', `Abort ${gd.id}? Later steps will not run.`)];
      return gd.pendingApproval ? [b('Approve new plan', 'approve', 'primary'), ...list.slice(1)] : list;
    }
    case 'running':
      return [b('Hold after this step', 'hold'), b('Abort game day', 'abort', 'danger', `Abort ${gd.id}? The running step is reverted.`)];
    default:
      return [];
  }
}

function holdNote(gd: GameDayRecord): string {
  if (gd.holdRequested === false) return '';
  return gd.holdRequested === true ? ' · will hold after it' : ` · will hold after it (${actorLabel(gd.holdRequested.by)}: ${gd.holdRequested.reason})`;
}

function stateLine(gd: GameDayRecord): string {
  switch (gd.state) {
    case 'approved':
      return `approved · waiting for the commander to start step 1`;
    case 'checkpoint':
      return `checkpoint before step ${gd.next + 1} · waiting for the commander`;
    case 'held':
      return `held before step ${gd.next + 1}: ${gd.holdReason ?? ''}`;
    case 'running': {
      const index = gd.current ?? gd.next;
      const asking = gd.onCall.at(-1);
      // Before the first injection the day may wait for the on-call: nothing runs yet.
      if (asking?.outcome === 'asking' && gd.steps[index]?.experimentId === null) {
        return `waiting for the on-call to acknowledge before step ${index + 1} (until ${new Date(asking.deadline).toISOString()})${holdNote(gd)}`;
      }
      return `running step ${index + 1} of ${gd.steps.length}${holdNote(gd)}`;
    }
    default:
      return gd.closedBy ? `${gd.state}: ${gd.closedBy.reason}` : gd.state;
  }
}

/** The one card of a game day: roles, every step with its preview, and the buttons that fit now. */
export function gameDayCard(gd: GameDayRecord, opts: { approvers: readonly string[] }): Message {
  const fields = [
    { label: 'State', value: stateLine(gd) },
    { label: 'Commander', value: gd.roles.commander },
    { label: 'Scribe', value: gd.roles.scribe ?? '—' },
    { label: 'Observers', value: gd.roles.observers.join(', ') || '—' },
    { label: 'Proposed by', value: actorLabel(gd.proposedBy) },
    { label: 'Plan', value: `${shortHash(gd.planHash)} (all ${gd.steps.length} steps)` },
  ];
  if (gd.approval) fields.push({ label: 'Approved by', value: actorLabel(gd.approval.by) });
  else if (gd.state === 'proposed') fields.push({ label: 'Approvers', value: opts.approvers.filter((a) => a !== gd.proposedBy.id).join(', ') || '(none configured)' });
  const sections = [`Steps (one approval covers all of them; each step's card shows its live status):\n${gd.steps.map((s) => stepLine(gd, s)).join('\n')}`];
  if (gd.autoContinue === 'whenHeld') sections.push(`Goes on by itself after a step that held, unless the commander holds or has been silent for ${formatDuration(gd.commanderTimeoutMs)}.`);
  if (gd.pendingApproval) sections.push(`Step ${gd.pendingApproval.step + 1} changed since approval: ${gd.pendingApproval.reason}. An approver must approve the new plan.`);
  const tone = gd.state === 'completed' ? 'success' : gd.state === 'aborted' || gd.state === 'interrupted' ? 'danger' : gd.state === 'running' ? 'warning' : 'info';
  return message({ title: `${gd.id} · ${gd.title}`, tone, fields, sections, buttons: buttonsFor(gd) });
}

/** Posted in the game day's thread after a step: its verdict, its last readings, and the commander's choice. */
export function checkpointMessage(gd: GameDayRecord, beforeStep: number, readings: ReadonlyArray<Pick<GuardrailResult, 'name' | 'status' | 'detail'>>): Message {
  const prev = beforeStep > 0 ? gd.steps[beforeStep - 1] : undefined;
  const nextStep = gd.steps[beforeStep];
  const sections: string[] = [];
  if (prev?.state) sections.push(`Step ${prev.index + 1} (${prev.name}) ${prev.state}, verdict ${prev.verdict ?? 'none'}${prev.experimentId ? ` · ${prev.experimentId}` : ''}`);
  if (readings.length > 0) sections.push(`Last readings:\n${readings.map((r) => `• ${r.name}: ${r.status} — ${r.detail}`).join('\n')}`);
  if (gd.holdReason) sections.push(`Holding: ${gd.holdReason}`);
  if (nextStep) sections.push(`Next: ${stepLine(gd, nextStep)}`);
  sections.push(`${gd.roles.commander}: Continue, Hold or Abort (/chaos gameday continue|hold|abort ${gd.id}). Only the commander continues; anyone can abort.`);
  return message({ title: `Checkpoint before step ${beforeStep + 1} of ${gd.steps.length}`, tone: gd.state === 'held' ? 'warning' : 'info', sections, buttons: buttonsFor(gd) });
}
