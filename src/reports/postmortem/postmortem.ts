import { basename, dirname, join } from 'node:path';
import type { PostmortemInput, PostmortemView } from './postmortem-view.js';
import { buildPostmortemView } from './postmortem-view.js';
import { readTemplate, renderMarkdown, writeAtomically } from '../markdown-file.js';
import { runChartData, signalChartFileName, writeSignalChart } from '../charts/signal-chart.js';

export { buildPostmortemView } from './postmortem-view.js';
export type { PostmortemEvent, PostmortemInput, PostmortemView, TimelineEntry } from './postmortem-view.js';

/**
 * Renders the view with a private Handlebars instance (no global helpers or partials leak in).
 * Output is Markdown, so nothing is HTML-escaped; strict mode turns a field the view does not have
 * into an error instead of a silent blank. Any template problem is a `template_error` naming the template.
 */
export function renderPostmortem(templateSource: string, view: PostmortemView, templateName: string): string {
  return renderMarkdown('post-mortem', templateSource, view, templateName);
}

/** A record id as a file name: anything but letters, digits, dot, dash and underscore becomes `_`. */
function fileNameFor(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'experiment'}.md`;
}

/** Where the draft of experiment `id` is written: `<outDir>/<id>.md` (the id made file-name safe). */
export function postmortemPath(outDir: string, experimentId: string): string {
  return join(outDir, fileNameFor(experimentId));
}

type WriteOptions = { templatePath: string; outDir: string } & PostmortemInput;

/**
 * Drafts the post-mortem into `<outDir>/<record.id>.md` (creating the folder) and returns the path,
 * then the signals chart its image link names beside it (a chart that cannot be drawn leaves the
 * draft as it is). A game-day step's draft names the game-day report, which lives in the same folder.
 */
export async function writePostmortem(opts: WriteOptions): Promise<string> {
  const { path } = await writePostmortemDraft(opts);
  await writePostmortemChart(opts).catch(() => null);
  return path;
}

/** The Markdown draft only, `<outDir>/<record.id>.md`; returns its path and the text written there. */
export async function writePostmortemDraft(opts: WriteOptions): Promise<{ path: string; text: string }> {
  const { templatePath, outDir, ...input } = opts;
  const templateName = basename(templatePath);
  const source = await readTemplate('post-mortem', templatePath, templateName);
  const text = renderPostmortem(source, buildPostmortemView({ gameDayReportDir: outDir, ...input }), templateName);
  const path = postmortemPath(outDir, input.record.id);
  await writeAtomically(path, text);
  return { path, text };
}

/**
 * The PNG of every guardrail and steady-state signal, beside the draft (`<id>-signals.png`, the file
 * the draft links), or null when nothing was sampled. Rejects when the chart cannot be drawn.
 */
export async function writePostmortemChart(opts: Omit<WriteOptions, 'templatePath'>): Promise<{ path: string; png: Buffer } | null> {
  const { outDir, record, spec, events } = opts;
  const data = runChartData(record, spec, events);
  if (data.signals.length === 0) return null;
  const path = join(dirname(postmortemPath(outDir, record.id)), signalChartFileName(record.id));
  const png = await writeSignalChart(path, data);
  return png ? { path, png } : null;
}
