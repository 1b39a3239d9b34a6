import { dirname } from 'node:path';
import { SYSTEM } from '../../core/actor.js';
import { formatDuration } from '../../core/duration.js';
import { isGameDayTerminal, type GameDayRecord } from '../../core/gameday-record.js';
import { handshakeLines, handshakeOutcomeText } from '../../core/oncall.js';
import { detectionLines } from '../../core/drill-detection.js';
import { oneLine, stepView, type DetectionView, type StepExperiment, type StepView } from './gameday-report-steps.js';
import { gameDayTimeline, refusalSummary } from './gameday-report-timeline.js';
import { peopleView, type ActionRow, type NoteRow, type RoleRow, type StepPeople } from './gameday-report-people.js';
import type { PostmortemEvent } from '../postmortem/postmortem-events.js';
import { cell, isoUtc, namerFor, relTime } from '../report-format.js';
import type { TimelineEntry } from '../postmortem/postmortem-timeline.js';

export type { DetectionView, StepExperiment, StepView } from './gameday-report-steps.js';

export interface GameDayReportInput {
  record: GameDayRecord;
  /** The experiments the steps ran, matched to steps by experiment id (order does not matter). */
  experiments: readonly StepExperiment[];
  /** The game day's own journal (kinds starting with `gameday-`). */
  events: readonly PostmortemEvent[];
  draftedAt: number;
  /** Where the steps' post-mortem drafts are written (for steps whose journal does not name the file yet). */
  postmortemDir: string;
}

export interface DecisionRow {
  beforeStep: string;
  /** The decision as the record has it (continue, hold, abort, auto, or any kind added later). */
  choice: string;
  /** Where it was taken when that was not at a checkpoint: "typed during step 2"; null otherwise. */
  during: string | null;
  who: string;
  time: string;
  rel: string;
  reason: string;
}

export interface OnCallRow {
  time: string;
  rel: string;
  by: string;
  outcome: string;
  /** Per service: who was asked, who acknowledged and after how long. */
  lines: string[];
}

export interface DrillView {
  channel: string;
  responders: string;
  announced: string | null;
  revealed: string | null;
  lines: string[];
}

export interface StepRow {
  number: number;
  name: string;
  radius: string;
  status: string;
  experimentId: string;
}

/** Plain, pre-formatted data for the report template; every field is present (null when absent). */
export interface GameDayReportView {
  id: string;
  name: string;
  title: string;
  channel: string;
  draftedAt: string;
  state: string;
  outcome: string;
  roles: { commander: string; scribe: string | null; observers: string | null };
  proposed: { by: string; time: string };
  approved: { by: string; time: string; planHash: string } | null;
  planHash: string;
  autoContinue: string;
  started: string | null;
  ended: string | null;
  duration: string | null;
  origin: string;
  overview: StepRow[];
  /** Each step with what the people wrote on it (conclusions, notes, action items). */
  steps: Array<StepView & StepPeople>;
  /** Notes written before step 1 ran. */
  notesBefore: NoteRow[];
  actions: ActionRow[];
  /** Who was commander when. */
  roleHistory: RoleRow[];
  decisions: DecisionRow[];
  /** The on-call handshakes before the first injection (`onCall: require`), oldest first. */
  onCall: OnCallRow[];
  /** A blinded drill: who responded where, and the detection record; null for an ordinary game day. */
  drill: DrillView | null;
  timeline: TimelineEntry[];
  /** One sentence on the commands refused on the day and its steps, or null when none was. */
  refusals: string | null;
  detection: DetectionView[];
}

function outcomeOf(gd: GameDayRecord, steps: readonly StepView[], who: (id: string) => string): string {
  const ran = steps.filter((s) => s.ran).length;
  const total = steps.length;
  const closed = gd.closedBy ? ` by ${who(gd.closedBy.by.id)} at ${isoUtc(gd.closedBy.at)}: ${oneLine(gd.closedBy.reason)}` : '';
  const stopped = steps.find((s) => s.ran && (s.status.startsWith('aborted') || s.status === 'failed' || s.status === 'refuted'));
  switch (gd.state) {
    case 'completed':
      return `Completed: ${ran} of ${total} step${total === 1 ? '' : 's'} ran.`;
    case 'aborted': {
      const at = stopped ? ` at step ${stopped.number} (${stopped.name})` : '';
      const stepAbort = stopped?.abort ?? null;
      // The bot closes a day whose step ended aborted; when a person aborted that step, the abort is theirs.
      const person = stepAbort && !stepAbort.auto && (!gd.closedBy || gd.closedBy.by.id === SYSTEM.id) ? stepAbort : null;
      const by = person ? ` by ${person.by} at ${person.time}: ${person.reason}` : closed || (stepAbort ? ` by ${stepAbort.by}: ${stepAbort.reason}` : '');
      return `Aborted${at}${by}. ${ran} of ${total} steps ran.`;
    }
    case 'interrupted': {
      const unwatched = steps.flatMap((s) => (s.unwatched ? [unwatchedSentence(s)] : [])).join(' ');
      return `Interrupted${closed || ': the bot stopped while the game day was in progress; start-up reconcile reverted what was injected'}. ${ran} of ${total} steps ran.${unwatched ? ` ${unwatched}` : ''}`;
    }
    case 'rejected':
    case 'expired':
    case 'cancelled':
      return `${gd.state.charAt(0).toUpperCase()}${gd.state.slice(1)}${closed}. ${ran} of ${total} steps ran.`;
    case 'held':
      return `Held${gd.holdReason ? `: ${oneLine(gd.holdReason)}` : ''}; this report is provisional. ${ran} of ${total} steps ran so far.`;
    default:
      return `Still ${gd.state}; this report is provisional. ${ran} of ${total} steps ran so far.`;
  }
}

function unwatchedSentence(s: StepView): string {
  const u = s.unwatched!;
  return u.duration !== null
    ? `Step ${s.number}'s fault was in for ${u.duration} with nobody watching.`
    : `Step ${s.number}'s fault went unwatched after ${u.from.time} and no revert is recorded: check the targets.`;
}

/** "typed during step 2" when a decision was taken while that step ran, not at a checkpoint. */
function takenDuring(gd: GameDayRecord, at: number): string | null {
  const step = gd.steps.find((s) => s.startedAt !== null && at > s.startedAt && (s.endedAt === null ? gd.current === s.index : at < s.endedAt));
  return step ? `typed during step ${step.index + 1}` : null;
}

/** Everything the game-day report shows, from the game-day record, its journal and the steps' experiments. */
export function buildGameDayReportView(input: GameDayReportInput): GameDayReportView {
  const gd = input.record;
  const who = namerFor([
    gd.proposedBy,
    gd.approval?.by,
    gd.closedBy?.by,
    ...gd.decisions.map((d) => d.by),
    ...gd.notes.map((n) => n.by),
    ...gd.actions.map((a) => a.by),
    ...gd.roleHistory.map((c) => c.by),
    ...gd.onCall.flatMap((h) => [h.askedBy, ...h.acks.map((a) => a.by)]),
    ...input.experiments.flatMap(({ record: r }) => [r.proposedBy, r.approval?.by, r.startedBy, r.closedBy?.by, r.abort?.by]),
  ]);
  const reportDir = dirname(gd.reportPath);
  const byId = new Map(input.experiments.map((run) => [run.record.id, run]));
  const byStep = new Map(input.experiments.filter((run) => run.record.gameDay?.id === gd.id).map((run) => [run.record.gameDay!.step, run]));
  const digested = gd.steps.map((step) => {
    const run = (step.experimentId !== null ? byId.get(step.experimentId) : undefined) ?? byStep.get(step.index);
    return stepView(gd, step, run, { reportDir, postmortemDir: input.postmortemDir, draftedAt: input.draftedAt });
  });
  const steps = digested.map((d) => d.step);
  const origin = gd.startedAt ?? gd.proposedAt;
  const people = peopleView(gd, origin, who);
  const stepName = (index: number) => {
    const s = steps[index];
    return s ? `${s.number} — ${cell(s.name)}` : index >= steps.length ? 'after the last step' : `${index + 1}`;
  };
  return {
    id: gd.id,
    name: gd.name,
    title: oneLine(gd.title),
    channel: gd.channel,
    draftedAt: isoUtc(input.draftedAt),
    state: gd.state,
    outcome: outcomeOf(gd, steps, who),
    roles: {
      commander: who(gd.roles.commander),
      scribe: gd.roles.scribe ? who(gd.roles.scribe) : null,
      observers: gd.roles.observers.length ? gd.roles.observers.map(who).join(', ') : null,
    },
    proposed: { by: who(gd.proposedBy.id), time: isoUtc(gd.proposedAt) },
    approved: gd.approval ? { by: who(gd.approval.by.id), time: isoUtc(gd.approval.at), planHash: gd.approval.planHash.slice(0, 12) } : null,
    planHash: gd.planHash.slice(0, 12),
    autoContinue: gd.autoContinue === 'whenHeld' ? 'continue without asking when a step held' : 'the commander decides at every checkpoint',
    started: gd.startedAt !== null ? isoUtc(gd.startedAt) : null,
    ended: gd.endedAt !== null ? isoUtc(gd.endedAt) : null,
    duration: gd.startedAt !== null && gd.endedAt !== null ? formatDuration(gd.endedAt - gd.startedAt) : null,
    origin: gd.startedAt !== null ? `the game-day start at ${isoUtc(gd.startedAt)}` : `the proposal at ${isoUtc(gd.proposedAt)}`,
    overview: steps.map((s) => ({ number: s.number, name: cell(s.name), radius: s.blastRadius, status: s.status, experimentId: s.experimentId ?? '—' })),
    steps: steps.map((s, i) => ({ ...s, ...people.perStep[i]! })),
    notesBefore: people.beforeSteps,
    actions: people.actions,
    roleHistory: people.roleHistory,
    decisions: gd.decisions.map((d) => ({
      beforeStep: stepName(d.beforeStep),
      choice: d.choice,
      during: d.choice === 'auto' ? null : takenDuring(gd, d.at),
      who: d.choice === 'auto' && d.by.id === SYSTEM.id ? `${SYSTEM.id} (bot, autoContinue)` : who(d.by.id),
      time: isoUtc(d.at),
      rel: relTime(d.at, origin),
      reason: cell(d.reason ?? ''),
    })),
    onCall: gd.onCall.map((h) => ({
      time: isoUtc(h.askedAt),
      rel: relTime(h.askedAt, origin),
      by: who(h.askedBy.id),
      // Still asking on a closed day: the bot stopped before anyone answered.
      outcome: h.outcome === 'asking' && isGameDayTerminal(gd.state) ? 'not answered before the game day ended' : handshakeOutcomeText(h),
      lines: handshakeLines(h).map(oneLine),
    })),
    drill: gd.drill
      ? {
          channel: gd.drill.respondersChannel,
          responders: gd.drill.responders.length ? gd.drill.responders.map(who).join(', ') : 'anyone in the channel',
          announced: gd.drill.announcedAt !== null ? isoUtc(gd.drill.announcedAt) : null,
          revealed: gd.drill.revealedAt !== null ? isoUtc(gd.drill.revealedAt) : null,
          lines: gd.drill.detection ? detectionLines(gd.drill.detection, who).map(oneLine) : ['Not revealed yet: the detection record is worked out when the drill ends.'],
        }
      : null,
    timeline: gameDayTimeline(gd, input.events, input.experiments, steps, origin, who),
    refusals: refusalSummary([...input.events, ...input.experiments.flatMap((run) => run.events)], who),
    detection: digested.flatMap((d) => (d.detection ? [d.detection] : [])),
  };
}
