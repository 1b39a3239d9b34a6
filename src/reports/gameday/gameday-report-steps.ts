import { dirname, join, relative } from 'node:path';
import { SYSTEM } from '../../core/actor.js';
import { formatDuration } from '../../core/duration.js';
import type { ExperimentRecord } from '../../core/experiment.js';
import type { GameDayRecord, GameDayStepRun } from '../../core/gameday-record.js';
import type { Experiment } from '../../core/playbook.js';
import { eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { cell, compactJson, fmtValue, isoUtc } from '../report-format.js';
import { postmortemPath } from '../postmortem/postmortem.js';
import { buildPostmortemView, type BreachRow, type IncidentRow } from '../postmortem/postmortem-view.js';
import { guardrailReadings, type StepGuardrailRow } from './gameday-report-readings.js';
import { unwatchedWindow, type UnwatchedView } from './gameday-report-unwatched.js';

export type { StepGuardrailRow } from './gameday-report-readings.js';
export type { UnwatchedView } from './gameday-report-unwatched.js';

/** One step's experiment as stored: the record, the playbook as run and its journal. */
export interface StepExperiment {
  record: ExperimentRecord;
  spec: Experiment;
  events: PostmortemEvent[];
}

export interface StepView {
  /** 1-based, as people count. */
  number: number;
  name: string;
  experiment: string;
  ran: boolean;
  /** One word or two for the step list: held, refuted, aborted, failed, not run, running… */
  status: string;
  /** For a step without an experiment to show: one Markdown sentence saying why. */
  notRunReason: string | null;
  hypothesis: string;
  experimentId: string | null;
  blastRadius: string;
  adapter: string;
  selected: number;
  candidates: number;
  targets: string;
  fault: { type: string; parameters: string; duration: string; actual: string | null };
  state: string;
  verdict: string;
  verdictMeaning: string | null;
  summary: string;
  started: string | null;
  ended: string | null;
  duration: string | null;
  origin: string | null;
  guardrails: StepGuardrailRow[];
  breaches: BreachRow[];
  /** `auto`: the bot aborted on its own (a guardrail, a recovery), not a person. */
  abort: { by: string; auto: boolean; code: string; reason: string; time: string; rel: string } | null;
  /** A step cut off by a restart or shutdown: how long its fault was in with nobody watching. */
  unwatched: UnwatchedView | null;
  failure: string | null;
  revertSummary: string | null;
  postmortem: { path: string; link: string; written: boolean } | null;
  /** The step's signals chart (beside its post-mortem), relative to the report; null when nothing was sampled. */
  chart: { link: string } | null;
}

export interface DetectionView {
  number: number;
  name: string;
  experimentId: string;
  services: string;
  expected: string[];
  incidents: IncidentRow[];
  origin: string;
}

/** Text for one line of Markdown: no line breaks, no stray whitespace. */
export const oneLine = (text: string): string => text.trim().replace(/\s*\r?\n\s*/g, ' ');

function notRunReason(gd: GameDayRecord, step: GameDayStepRun): string {
  switch (gd.state) {
    case 'aborted':
      return 'the game day was aborted before this step';
    case 'interrupted':
      return 'the game day was interrupted before this step';
    case 'completed':
      return 'the game day ended before this step';
    case 'rejected':
    case 'expired':
    case 'cancelled':
      return `the game day was ${gd.state}`;
    default:
      return step.index === gd.next ? 'next, waiting for the checkpoint' : 'not reached yet';
  }
}

function planOnly(gd: GameDayRecord, step: GameDayStepRun): StepView {
  const plan = step.plan;
  // A step that started but whose experiment the store no longer has: say what the game day recorded.
  const lost = step.experimentId !== null && step.state !== null;
  const recorded = [step.state, step.verdict].filter(Boolean).join(', ');
  return {
    number: step.index + 1,
    name: oneLine(step.name),
    experiment: step.experiment,
    ran: false,
    status: lost ? `${step.verdict ?? step.state} (details missing)` : 'not run',
    notRunReason: lost
      ? `**Details missing:** experiment \`${step.experimentId}\` (${recorded}) is not in the store.`
      : `**Not run:** ${notRunReason(gd, step)}.`,
    hypothesis: oneLine(step.hypothesis),
    experimentId: step.experimentId,
    blastRadius: plan.blastRadius,
    adapter: plan.adapter,
    selected: plan.targets.length,
    candidates: plan.candidates,
    targets: plan.targets.map((t) => t.name).join(', ') || '—',
    fault: { type: plan.fault.type, parameters: compactJson(plan.fault.parameters) || 'none', duration: formatDuration(plan.durationMs), actual: null },
    state: lost ? step.state! : 'not run',
    verdict: lost ? (step.verdict ?? 'none') : 'none',
    verdictMeaning: null,
    summary: step.summary ? oneLine(step.summary) : 'This step never ran; nothing was injected.',
    started: null,
    ended: null,
    duration: null,
    origin: null,
    guardrails: plan.guardrails.map((g) => ({ name: cell(g.name), rule: `${g.comparison} ${fmtValue(g.threshold)}`, samples: 0, unknown: 0, last: '—', worst: '—', status: '—' })),
    breaches: [],
    abort: null,
    unwatched: null,
    failure: null,
    revertSummary: null,
    postmortem: null,
    chart: null,
  };
}

function statusOf(record: ExperimentRecord): string {
  if (record.state === 'completed') return record.verdict ?? 'completed';
  if (record.state === 'aborted') return record.verdict === 'refuted' ? 'aborted (refuted)' : 'aborted';
  return record.state;
}

/**
 * Everything the report shows about one step. A step that ran is digested by the post-mortem view
 * (readings, breaches, abort, detection), so the report and the step's own draft tell the same story.
 */
export function stepView(
  gd: GameDayRecord,
  step: GameDayStepRun,
  run: StepExperiment | undefined,
  where: { reportDir: string; postmortemDir: string; draftedAt: number },
): { step: StepView; detection: DetectionView | undefined } {
  if (!run) return { step: planOnly(gd, step), detection: undefined };
  const { record, spec, events } = run;
  const pm = buildPostmortemView({ record, spec, events, draftedAt: where.draftedAt });
  const journaled = eventsOf(events, 'postmortem').at(-1)?.data.path;
  const pmPath = journaled ?? postmortemPath(where.postmortemDir, record.id);
  const started = record.startedAt ?? step.startedAt;
  const ended = record.endedAt ?? step.endedAt;
  const link = relative(where.reportDir, pmPath).split('\\').join('/');
  // The step's `T` origin, as its post-mortem view takes it: the injection, else the start, else the proposal.
  const originAt = record.injectedAt ?? eventsOf(events, 'injected')[0]?.event.at ?? record.startedAt ?? record.proposedAt;
  const view: StepView = {
    number: step.index + 1,
    name: oneLine(step.name),
    experiment: step.experiment,
    ran: true,
    status: statusOf(record),
    notRunReason: null,
    hypothesis: pm.hypothesis,
    experimentId: record.id,
    blastRadius: pm.blastRadius.radius,
    adapter: pm.blastRadius.adapter,
    selected: pm.blastRadius.selected,
    candidates: pm.blastRadius.candidates,
    targets: record.plan.targets.map((t) => t.name).join(', ') || '—',
    fault: pm.fault,
    state: pm.state,
    verdict: pm.verdict,
    verdictMeaning: pm.verdictMeaning,
    summary: pm.summary,
    started: started !== null ? isoUtc(started) : null,
    ended: ended !== null ? isoUtc(ended) : null,
    duration: started !== null && ended !== null ? formatDuration(ended - started) : null,
    origin: `${pm.origin.label} at ${pm.origin.time}`,
    guardrails: guardrailReadings(record, spec, events),
    breaches: pm.breaches,
    abort: pm.abort && record.abort ? { ...pm.abort, auto: record.abort.by.id === SYSTEM.id, reason: oneLine(pm.abort.reason) } : null,
    // Only an interrupted day has a step cut off by a restart or a shutdown.
    unwatched: gd.state === 'interrupted' ? unwatchedWindow(events, originAt) : null,
    failure: pm.failure ? oneLine(pm.failure) : null,
    revertSummary: pm.revertSummary,
    postmortem: { path: link || pmPath, link: link || pmPath, written: journaled !== undefined },
    chart: pm.chart ? { link: encodeURI(relative(where.reportDir, join(dirname(pmPath), pm.chart.file)).split('\\').join('/')) } : null,
  };
  const detection: DetectionView | undefined =
    spec.pagerduty.services.length === 0
      ? undefined
      : {
          number: view.number,
          name: view.name,
          experimentId: record.id,
          services: pm.alerts.pagerduty.map((s) => `\`${s}\``).join(', '),
          expected: pm.alerts.expected,
          incidents: pm.alerts.incidents,
          origin: view.origin ?? '',
        };
  return { step: view, detection };
}
