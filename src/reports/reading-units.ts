import type { SignalQuery } from '../core/playbook.js';
import { fmtValue } from './report-format.js';

/**
 * The unit of a signal's readings: `ms` or `s` (a duration), `ratio` (a fraction 0..1, shown as a
 * percentage), `percent` (already a percentage), or null when the query does not say for certain.
 */
export type ReadingUnit = 'ms' | 's' | 'ratio' | 'percent' | null;

// Field names as people write them in JSON: p99Ms, latency_ms; errorRate, error_rate, readyRatio.
const MS_NAME = /(?:[a-z0-9]Ms|(?:^|[_-])ms)$/;
const RATIO_NAME = /(?:[a-z0-9](?:Rate|Ratio)|(?:^|[_-])(?:rate|ratio))$/;
// Prometheus names carry their base unit by convention (`_seconds`, `_ratio` for 0..1).
const PROM_SELECTOR = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{[^{}]*\})?\s*$/;
const PROM_QUANTILE = /^\s*histogram_quantile\s*\(/;
const PROM_BUCKET = /([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\b/g;
const CLOUDWATCH_UNITS: Record<string, ReadingUnit> = { Milliseconds: 'ms', Seconds: 's', Percent: 'percent' };

function promUnit(metric: string): ReadingUnit {
  if (metric.endsWith('_milliseconds')) return 'ms';
  if (metric.endsWith('_seconds')) return 's';
  if (metric.endsWith('_ratio')) return 'ratio';
  return null;
}

/** A PromQL query's unit: a bare selector by its metric's name, a whole `histogram_quantile(…)` by its buckets'. */
function prometheusUnit(query: string): ReadingUnit {
  const bare = PROM_SELECTOR.exec(query);
  if (bare) return promUnit(bare[1]!);
  if (!PROM_QUANTILE.test(query) || !wholeCall(query)) return null;
  const units = new Set([...query.matchAll(PROM_BUCKET)].map((m) => promUnit(m[1]!)));
  // A quantile's unit is its buckets' (a ratio's quantile is still a ratio); mixed buckets say nothing.
  return units.size === 1 ? [...units][0]! : null;
}

/** Whether the parenthesis opened first closes at the very end (`f(…) * 1000` changes the unit). */
function wholeCall(query: string): boolean {
  const text = query.trim();
  let depth = 0;
  for (let i = text.indexOf('('); i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i === text.length - 1;
  }
  return false;
}

function nameUnit(name: string): ReadingUnit {
  if (MS_NAME.test(name)) return 'ms';
  if (RATIO_NAME.test(name)) return 'ratio';
  return null;
}

/**
 * What a signal's readings are measured in, from what its query says for certain: an http `latency`
 * probe is ms, a JSON field named like `p99Ms` ms and one like `errorRate` a ratio, pods' `ready-ratio`
 * a ratio, a CloudWatch metric's declared unit, a Prometheus metric named by convention. A ratio needs
 * every known value (threshold and readings) within 0..1, else a rate per second or a percentage
 * already would be shown ×100. Anything else is null: the bare number, never a guessed unit.
 */
export function readingUnit(query: SignalQuery | undefined, values: readonly number[] = []): ReadingUnit {
  const q = (query ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
  let unit: ReadingUnit = null;
  switch (q.source) {
    case 'http': {
      const measure = str('measure') ?? 'json';
      if (measure === 'latency') unit = 'ms';
      else if (measure === 'json') unit = nameUnit(str('path')?.split('.').at(-1) ?? '');
      break;
    }
    case 'pods':
      unit = (str('measure') ?? 'ready-ratio') === 'ready-ratio' ? 'ratio' : null;
      break;
    case 'prometheus':
      unit = prometheusUnit(str('query') ?? '');
      break;
    case 'cloudwatch': {
      const metric = q.metric as Record<string, unknown> | undefined;
      const declared = typeof metric?.unit === 'string' ? metric.unit : undefined;
      unit = q.alarm === undefined && declared ? (CLOUDWATCH_UNITS[declared] ?? null) : null;
      break;
    }
  }
  if (unit === 'ratio' && !values.every((v) => !Number.isFinite(v) || (v >= 0 && v <= 1))) return null;
  return unit;
}

/** A reading or threshold with its unit: `760 ms`, `12%` (a ratio of 0.12), or the bare number. */
export function formatReading(value: number | null | undefined, unit: ReadingUnit): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'ms':
      return `${fmtValue(value)} ms`;
    case 's':
      return `${fmtValue(value)} s`;
    case 'ratio':
      return `${fmtValue(value * 100)}%`;
    case 'percent':
      return `${fmtValue(value)}%`;
    default:
      return fmtValue(value);
  }
}
