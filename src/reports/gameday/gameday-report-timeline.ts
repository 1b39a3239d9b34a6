import type { GameDayRecord } from '../../core/gameday-record.js';
import { oneLine, type StepExperiment, type StepView } from './gameday-report-steps.js';
import { chronological, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { compactJson, isoUtc, relTime } from '../report-format.js';
import { buildTimeline, type TimelineEntry } from '../postmortem/postmortem-timeline.js';

/** Step journal entries worth a line in the game-day timeline (the step's own post-mortem has the rest). */
const STEP_KINDS = new Set(['injected', 'inject-failed', 'breach', 'abort', 'revert-failed', 'reconcile-revert', 'verdict']);
const STEP_TRANSITIONS = new Set(['start', 'abort']);
/** Game-day journal entries left out: the report does not need to name itself, and a command repeats its transition. */
const SKIPPED = new Set(['gameday-report', 'command']);

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
      return `${event} by ${who}${why}${moves}`;
  }
}

/** One sentence for a game-day journal entry, or undefined to leave it out. Unknown kinds are shown with their data. */
export function describeGameDayEvent(e: PostmortemEvent, who: string, stepName: (index: number) => string): string | undefined {
  const d = e.data;
  if (e.kind === 'gameday-transition') return transitionText(d, who, stepName);
  if (e.kind === 'gameday-proposed') {
    const steps = Array.isArray(d.steps) ? d.steps.length : null;
    const plan = str(d, 'planHash');
    const from = str(d, 'gameday');
    return `Proposed by ${who}${from ? ` from playbook ${from}` : ''}${steps !== null ? `: ${steps} step(s)` : ''}${plan ? `, plan ${plan.slice(0, 12)}` : ''}`;
  }
  const label = e.kind.replace(/^gameday-/, '').replace(/-/g, ' ');
  const why = str(d, 'reason');
  const rest = compactJson(Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'reason')));
  return `${label.charAt(0).toUpperCase()}${label.slice(1)} by ${who}${why ? `: ${why}` : ''}${rest ? ` ${rest}` : ''}`;
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
    const text = describeGameDayEvent(e, who(e.actor), stepName);
    if (text === undefined) continue;
    own.push({ seq: e.seq, at: e.at, time: isoUtc(e.at), rel: relTime(e.at, origin), actor: who(e.actor), kind: e.kind, text: oneLine(text) });
  }
  const fromSteps = experiments.flatMap((run) => {
    const step = steps.find((s) => s.experimentId === run.record.id);
    const key = run.events.filter((e) => STEP_KINDS.has(e.kind) || (e.kind === 'transition' && STEP_TRANSITIONS.has(String(e.data.event))));
    const names = new Map(run.record.plan.targets.map((t) => [t.id, t.name]));
    return buildTimeline(key, { origin, actor: who, targetName: (id) => names.get(id) ?? id }).map((t) => ({
      ...t,
      text: `Step ${step?.number ?? '?'} (${run.record.id}): ${t.text}`,
    }));
  });
  return [...own, ...fromSteps].sort((a, b) => a.at - b.at || a.seq - b.seq);
}
