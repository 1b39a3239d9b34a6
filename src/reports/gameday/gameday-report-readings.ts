import { formatDuration } from '../../core/duration.js';
import type { ExperimentRecord } from '../../core/experiment.js';
import type { Experiment } from '../../core/playbook.js';
import { eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';
import { formatReading, readingUnit } from '../reading-units.js';
import { cell } from '../report-format.js';

export interface StepGuardrailRow {
  name: string;
  rule: string;
  samples: number;
  unknown: number;
  last: string;
  /** The reading furthest towards the abort threshold (the highest for `>`, the lowest for `<`). */
  worst: string;
  status: string;
}

const STATUS_RANK: Record<string, number> = { ok: 0, pending: 1, blind: 2, breach: 3 };

/**
 * One row per guardrail of a step that ran, from its readings, each value with its unit where the
 * signal's query says it (reading-units.ts). The post-mortem view has the same digest as bare
 * numbers; the report computes its own because it needs the numbers, not their text.
 */
export function guardrailReadings(record: ExperimentRecord, spec: Experiment, events: readonly PostmortemEvent[]): StepGuardrailRow[] {
  const readings = eventsOf(events, 'reading');
  const rules =
    record.plan.guardrails.length > 0 ? record.plan.guardrails : spec.guardrails.map((g) => ({ name: g.name, comparison: g.comparison, threshold: g.threshold, forMs: g.for }));
  const names = rules.map((r) => r.name);
  for (const { data } of readings) for (const r of data.results) if (!names.includes(r.name)) names.push(r.name);
  return names.map((name) => {
    const rule = rules.find((r) => r.name === name);
    const results = readings.flatMap(({ data }) => data.results.filter((r) => r.name === name));
    const values = results.map((r) => r.value).filter((v): v is number => typeof v === 'number');
    const unit = readingUnit(spec.guardrails.find((g) => g.name === name)?.signal, rule ? [rule.threshold, ...values] : values);
    const status = results.reduce<string>((w, r) => ((STATUS_RANK[r.status] ?? 0) > (STATUS_RANK[w] ?? 0) ? r.status : w), results.length ? 'ok' : '—');
    const last = values.at(-1);
    const worst = !values.length ? undefined : rule?.comparison.startsWith('>') ? Math.max(...values) : rule?.comparison.startsWith('<') ? Math.min(...values) : last;
    return {
      name: cell(name),
      rule: rule ? `${rule.comparison} ${formatReading(rule.threshold, unit)}${rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : ''}` : '—',
      samples: results.length,
      unknown: results.length - values.length,
      last: formatReading(last, unit),
      worst: formatReading(worst, unit),
      status,
    };
  });
}
