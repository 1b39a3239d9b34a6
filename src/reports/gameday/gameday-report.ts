import { basename } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { ExperimentRecord } from '../../core/experiment.js';
import type { GameDayRecord } from '../../core/gameday-record.js';
import type { Experiment } from '../../core/playbook.js';
import type { Store } from '../../store/index.js';
import { buildGameDayReportView, type GameDayReportInput, type GameDayReportView, type StepExperiment } from './gameday-report-view.js';
import { readTemplate, renderMarkdown, writeAtomically } from '../markdown-file.js';

export { buildGameDayReportView } from './gameday-report-view.js';
export type { DecisionRow, DetectionView, GameDayReportInput, GameDayReportView, StepExperiment, StepRow, StepView } from './gameday-report-view.js';
export { gameDayReportPath } from './gameday-report-path.js';

const WHAT = 'game-day report';

/**
 * Renders the report with a private Handlebars instance: Markdown, nothing HTML-escaped (the view
 * escapes user text for Markdown), strict, so a field the view lacks is a `template_error`.
 */
export function renderGameDayReport(view: GameDayReportView, templateText: string, templateName = 'gameday-report.md.hbs'): string {
  return renderMarkdown(WHAT, templateText, view, templateName);
}

/** The experiments the game day's steps ran, with their journals, as the store holds them. */
export function loadStepExperiments(store: Store, record: GameDayRecord): StepExperiment[] {
  const out: StepExperiment[] = [];
  for (const step of record.steps) {
    if (step.experimentId === null) continue;
    const row = store.experiments.get(step.experimentId);
    if (!row) continue;
    const data = row.data as { record: unknown; spec: Experiment };
    out.push({ record: ExperimentRecord.parse(data.record), spec: data.spec, events: store.journal(step.experimentId) });
  }
  return out;
}

/** Reads what the report needs from the store: the steps' experiments and journals, and the game day's own journal. */
export function loadGameDayReportInput(store: Store, record: GameDayRecord, opts: { postmortemDir: string; draftedAt: number }): GameDayReportInput {
  return { record, experiments: loadStepExperiments(store, record), events: store.journal(record.id), draftedAt: opts.draftedAt, postmortemDir: opts.postmortemDir };
}

export interface GameDayReportDeps {
  store: Store;
  clock: Clock;
  /** templates/gameday-report.md.hbs, resolved. */
  templatePath: string;
  /** Where the steps' post-mortems are drafted (the runner's `postmortemDir`). */
  postmortemDir: string;
}

/**
 * Writes the game-day report to `record.reportPath` (creating the folder; through a temporary file,
 * so a reader never sees half a report) and returns the path. Safe to call again: it rewrites the
 * report from whatever the store holds now.
 */
export async function writeGameDayReport(deps: GameDayReportDeps, record: GameDayRecord): Promise<string> {
  return (await draftGameDayReport(deps, record)).path;
}

/** `writeGameDayReport`, also handing back the text written (what a chat upload sends). */
export async function draftGameDayReport(deps: GameDayReportDeps, record: GameDayRecord): Promise<{ path: string; text: string }> {
  const templateName = basename(deps.templatePath);
  const source = await readTemplate(WHAT, deps.templatePath, templateName);
  const input = loadGameDayReportInput(deps.store, record, { postmortemDir: deps.postmortemDir, draftedAt: deps.clock.now() });
  const text = renderGameDayReport(buildGameDayReportView(input), source, templateName);
  await writeAtomically(record.reportPath, text);
  return { path: record.reportPath, text };
}
