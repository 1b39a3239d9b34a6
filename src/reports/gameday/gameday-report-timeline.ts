import { onCallEventText } from '../oncall-events.js';
import type { GameDayRecord } from '../../core/gameday-record.js';
import { oneLine, type StepExperiment, type StepView } from './gameday-report-steps.js';
import { chronological, EventData, type EventKind, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { isoUtc, relTime } from '../report-format.js';
import { buildTimeline, type TimelineEntry } from '../postmortem/postmortem-timeline.js';

/*
 * Step journal entries worth a line in the game-day timeline: when the fault went in and came out,
 * what broke, who or what aborted, how it ended. Left out on purpose, the step's own post-mortem has
 * them: proposed, the other transitions (approve, duration-elapsed, …), precheck, preflight,
 * postcheck, readings (digested per guardrail), inject-intent, revert-started, revert-confirmed,
 * adapter-note, fault-ended (the abort next to it says it), incident (the detection record),
 * postmortem (linked in the step), command (repeats its transition) and refused (summarised once).
 */
const STEP_KINDS = new Set<EventKind>(['injected', 'inject-failed', 'inject-late', 'breach', 'abort', 'reverted', 'revert-failed', 'revert-unconfirmed', 'reconcile-revert', 'verdict']);
const STEP_TRANSITIONS = new Set(['start', 'abort']);
/**
 * Game-day journal entries left out: the report does not name itself, a command repeats its
 * transition, and refusals change nothing (they get one summary line, see `refusalSummary`).
 */
const SKIPPED = new Set(['gameday-report', 'command', 'refused']);
/** Free text an entry of a kind this file does not know may carry, in the order it is looked for. */
const TEXT_FIELDS = ['text', 'note', 'reason', 'message'];

const str = (d: Record<string, unknown>, k: string) => (typeof d[k] === 'string' && d[k] !== '' ? (d[k] as string) : null);
const num = (d: Record<string, unknown>, k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);

/** `gameday-transition` as the game-day service journals it: `{ event, from, to, next, reason? }`. */
function transitionText(d: Record<string, unknown>, who: string, stepName: (index: number) => string): string | undefined {
  const event = str(d, 'event') ?? '?';
  const from = str(d, 'from');
  const to = str(d, 'to');
  const moved = from !== null && to !== null && from !== to;
  const moves = moved ? ` (${from} → ${to})` : '';
  const why = str(d, 'reason') ? `: ${str(d, 'reason')}` : '';
  const next = num(d, 'next');
  switch (event) {
    case 'commander-seen':
    case 'step-started':
      return undefined; // no change of state; the step's own "Started" line says it
    case 'approve':
      return `Approved by ${who}${moves}`;
    case 'reject':
      return `Rejected by ${who}${why}${moves}`;
    case 'expire':
      return `Expired${moves}`;
    case 'continue':
      return `Continue by ${who}${next !== null ? `: ${stepName(next)} starts` : ''}${moves}`;
    case 'hold':
      return `Hold by ${who}${why}${moves}`;
    case 'abort':
      return `Aborted by ${who}${why}${moves}`;
    case 'step-refused':
      return `Step could not start${why}${moves}`;
    case 'step-ended':
      return moved ? `Step ended; the game day goes ${from} → ${to}` : undefined;
    case 'interrupt':
      return `Interrupted${why}${moves}`;
    default:
      return `${sentenceCase(event)} by ${who}${why}${moves}`;
  }
}

const sentenceCase = (label: string) => {
  const words = label.replace(/[-_]+/g, ' ').trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}`;
};

/**
 * One sentence for a game-day journal entry, or undefined to leave it out. A kind this file does not
 * know yet is still a sentence: its name, who, and its free text if it has one; never its raw data.
 */
export function describeGameDayEvent(e: PostmortemEvent, who: string, stepName: (index: number) => string, name: (id: string) => string = (id) => id): string | undefined {
  const d = e.data;
  if (e.kind === 'gameday-transition') return transitionText(d, who, stepName);
  if (e.kind === 'gameday-proposed') {
    const steps = Array.isArray(d.steps) ? d.steps.length : null;
    const plan = str(d, 'planHash');
    const from = str(d, 'gameday');
    return `Proposed by ${who}${from ? ` from playbook ${from}` : ''}${steps !== null ? `: ${steps} step(s)` : ''}${plan ? `, plan ${plan.slice(0, 12)}` : ''}`;
  }
  const onCall = onCallEventText(e.kind, d, who);
  if (onCall !== undefined) return onCall;
  const people = peopleText(e, who, stepName, name);
  if (people !== undefined) return people;
  const text = TEXT_FIELDS.map((k) => str(d, k)).find((t) => t !== null);
  return `${sentenceCase(e.kind.replace(/^gameday-/, ''))} by ${who}${text ? `: ${text}` : ''}`;
}

/** Notes, conclusions, action items and hand-overs (engine/gamedays/gameday-notebook.ts) as sentences. */
function peopleText(e: PostmortemEvent, who: string, stepName: (index: number) => string, name: (id: string) => string): string | undefined {
  const d = e.data;
  const step = num(d, 'step');
  const person = (k: string) => (str(d, k) !== null ? name(str(d, k)!) : '?');
  const on = step !== null ? ` on ${stepName(step)}` : '';
  switch (e.kind) {
    case 'gameday-note':
      return `Note by ${who}${d.scribe === true ? ' (scribe)' : ''}${on}: ${str(d, 'text') ?? ''}`;
    case 'gameday-conclusion':
      return `Conclusion by ${who}${on}: ${str(d, 'text') ?? ''}`;
    case 'gameday-action': {
      const due = str(d, 'due');
      return `Action item${num(d, 'number') !== null ? ` #${num(d, 'number')}` : ''} for ${person('owner')}${due ? ` (due ${due})` : ''}, added by ${who}${on}: ${str(d, 'text') ?? ''}`;
    }
    case 'gameday-handover': {
      const how = d.authority === 'timeout' ? ` by ${who}, the commander having been silent past the timeout` : '';
      return `Commander handed over from ${person('from')} to ${person('to')}${how}`;
    }
    default:
      return undefined;
  }
}

/** Whether a step's journal entry belongs in the game-day timeline, with data the post-mortem timeline can word. */
function keyStepEvent(e: PostmortemEvent): boolean {
  if (e.kind === 'transition') return EventData.transition.safeParse(e.data).success && STEP_TRANSITIONS.has(String(e.data.event));
  // A malformed entry would come out as raw data: the step's post-mortem shows it, the report leaves it out.
  return STEP_KINDS.has(e.kind as EventKind) && EventData[e.kind as EventKind].safeParse(e.data).success;
}

/**
 * Refused commands on the game day and its steps in one sentence, or null when there were none:
 * "3 commands were refused: 2 × approval_self by alice; 1 × gameday_role by dave". A refusal changes
 * nothing, so it has no place in the timeline; that people were refused, and why, is still a finding.
 */
export function refusalSummary(events: readonly PostmortemEvent[], who: (id: string) => string): string | null {
  const refused = chronological(events.filter((e) => e.kind === 'refused'));
  if (refused.length === 0) return null;
  const byCode = new Map<string, { count: number; actors: string[] }>();
  for (const e of refused) {
    const code = str(e.data, 'code') ?? 'no code';
    const entry = byCode.get(code) ?? { count: 0, actors: [] };
    entry.count++;
    const name = who(e.actor);
    if (!entry.actors.includes(name)) entry.actors.push(name);
    byCode.set(code, entry);
  }
  // Most frequent first; ties keep the order they first happened in (a Map keeps insertion order).
  const parts = [...byCode.entries()].sort((a, b) => b[1].count - a[1].count).map(([code, g]) => `${g.count} × ${code} by ${g.actors.join(', ')}`);
  const n = refused.length;
  return `${n} command${n === 1 ? ' was' : 's were'} refused: ${parts.join('; ')}.`;
}

/** The game day's own journal and the key moments of each step, oldest first, `T` relative to `origin`. */
export function gameDayTimeline(
  gd: GameDayRecord,
  events: readonly PostmortemEvent[],
  experiments: readonly StepExperiment[],
  steps: readonly StepView[],
  origin: number,
  who: (id: string) => string,
): TimelineEntry[] {
  const stepName = (index: number) => (gd.steps[index] ? `step ${index + 1} (${oneLine(gd.steps[index]!.name)})` : `step ${index + 1}`);
  const own: TimelineEntry[] = [];
  for (const e of chronological(events.filter((x) => !SKIPPED.has(x.kind)))) {
    const text = describeGameDayEvent(e, who(e.actor), stepName, who);
    if (text === undefined) continue;
    own.push({ seq: e.seq, at: e.at, time: isoUtc(e.at), rel: relTime(e.at, origin), actor: who(e.actor), kind: e.kind, text: oneLine(text) });
  }
  const fromSteps = experiments.flatMap((run) => {
    const step = steps.find((s) => s.experimentId === run.record.id);
    const key = run.events.filter(keyStepEvent);
    const names = new Map(run.record.plan.targets.map((t) => [t.id, t.name]));
    return buildTimeline(key, { origin, actor: who, targetName: (id) => names.get(id) ?? id }).map((t) => ({
      ...t,
      text: `Step ${step?.number ?? '?'} (${run.record.id}): ${t.text}`,
    }));
  });
  return [...own, ...fromSteps].sort((a, b) => a.at - b.at || a.seq - b.seq);
}
