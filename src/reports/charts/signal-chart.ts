import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ExperimentRecord } from '../../core/experiment.js';
import type { Experiment } from '../../core/playbook.js';
import type { PostmortemEvent } from '../postmortem/postmortem-events.js';
import { chartData, signalsSpec, type ChartData } from './chart-spec.js';
import { specToPng } from './render-chart.js';

export { chartData, signalSpec, signalsSpec, type ChartData, type SignalPoint, type SignalSeries } from './chart-spec.js';
export { specToPng, specToSvg, svgToPng } from './render-chart.js';

/** A record id as the chart's file name: `<id>-signals.png`, made file-name safe like the post-mortem's. */
export function signalChartFileName(experimentId: string): string {
  const safe = experimentId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return `${safe || 'experiment'}-signals.png`;
}

/** The chart data of one run: the plan's guardrail rules (else the playbook's) and its steady-state checks. */
export function runChartData(record: ExperimentRecord, spec: Experiment, events: readonly PostmortemEvent[]): ChartData {
  const guardrails = record.plan.guardrails.length > 0 ? record.plan.guardrails : spec.guardrails;
  return chartData({
    id: record.id,
    title: spec.title ?? spec.name,
    events: events.filter((e) => e.experimentId === null || e.experimentId === record.id),
    guardrails,
    steadyState: spec.steadyState,
  });
}

/** The PNG of every signal (small multiples), or null when the run has no reading to draw. */
export async function renderSignalChart(data: ChartData): Promise<Buffer | null> {
  if (data.signals.length === 0) return null;
  return specToPng(signalsSpec(data));
}

/** Renders the chart and writes it to `path` through a temporary file; returns the PNG, or null when there was nothing to draw. */
export async function writeSignalChart(path: string, data: ChartData): Promise<Buffer | null> {
  const png = await renderSignalChart(data);
  if (!png) return null;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, png);
  await rename(tmp, path);
  return png;
}
