import { eventsOf, type PostmortemEvent } from '../postmortem/postmortem-events.js';

/** One reading of one signal: `value` is null when the reading was unknown (blind, no data, error). */
export interface SignalPoint {
  /** Seconds since the chart's origin (the injection, or the first reading when nothing was injected). */
  t: number;
  value: number | null;
  status: string;
}

export interface SignalSeries {
  name: string;
  kind: 'guardrail' | 'steady-state';
  /** The abort (guardrail) or pass (steady-state) rule, when the plan declares one. */
  rule: { comparison: string; threshold: number } | null;
  points: SignalPoint[];
  /** The reading that broke the rule (the first `breach`), if any. */
  breach: SignalPoint | null;
}

export interface ChartData {
  id: string;
  title: string;
  /** The fault window in seconds since the origin; `to` is null when no revert was journaled. */
  fault: { from: number; to: number | null } | null;
  /** Right edge of the time axis (the last event), seconds since the origin. */
  end: number;
  signals: SignalSeries[];
}

interface RuleLike {
  name: string;
  comparison: string;
  threshold: number;
}

export interface ChartSource {
  id: string;
  title: string;
  events: readonly PostmortemEvent[];
  guardrails: readonly RuleLike[];
  steadyState: readonly RuleLike[];
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The signals of one run as chart data, from the journal: each guardrail from its `reading` events,
 * each steady-state check from the pre- and post-check, the fault window from `injected` to `reverted`.
 * Pure: same events, same data.
 */
export function chartData(src: ChartSource): ChartData {
  const events = [...src.events].sort((a, b) => a.at - b.at || a.seq - b.seq);
  const injected = events.find((e) => e.kind === 'injected');
  const reverted = events.find((e) => e.kind === 'reverted' || e.kind === 'reconcile-revert');
  const readings = eventsOf(events, 'reading');
  const originAt = injected?.at ?? readings[0]?.event.at ?? events[0]?.at ?? 0;
  const sec = (at: number) => round((at - originAt) / 1000);
  const sampledAt = (e: PostmortemEvent) => {
    const s = (e.data as { sampledAt?: unknown } | null)?.sampledAt;
    return typeof s === 'number' ? s : e.at;
  };

  const guardNames = src.guardrails.map((g) => g.name);
  for (const { data } of readings) for (const r of data.results) if (!guardNames.includes(r.name)) guardNames.push(r.name);
  const guardrails: SignalSeries[] = guardNames.map((name) => {
    const rule = src.guardrails.find((g) => g.name === name);
    const points = readings.flatMap(({ event, data }) =>
      data.results
        .filter((r) => r.name === name)
        .map((r) => ({ t: sec(sampledAt(event)), value: typeof r.value === 'number' && r.status !== 'blind' ? r.value : null, status: r.status })),
    );
    return { name, kind: 'guardrail', rule: rule ? { comparison: rule.comparison, threshold: rule.threshold } : null, points, breach: points.find((p) => p.status === 'breach') ?? null };
  });

  const checks = [...eventsOf(events, 'precheck'), ...eventsOf(events, 'postcheck')];
  const checkNames = src.steadyState.map((c) => c.name);
  for (const { data } of checks) for (const r of data.results) if (!checkNames.includes(r.name)) checkNames.push(r.name);
  const steady: SignalSeries[] = checkNames.map((name) => {
    const rule = src.steadyState.find((c) => c.name === name);
    const points = checks.flatMap(({ event, data }) =>
      data.results
        .filter((r) => r.name === name)
        .map((r) => ({ t: sec(event.at), value: typeof r.value === 'number' ? r.value : null, status: r.passed ? 'ok' : 'fail' })),
    );
    return { name, kind: 'steady-state', rule: rule ? { comparison: rule.comparison, threshold: rule.threshold } : null, points, breach: points.find((p) => p.status === 'fail') ?? null };
  });

  const last = events.at(-1);
  return {
    id: src.id,
    title: src.title,
    fault: injected ? { from: 0, to: reverted ? sec(reverted.at) : null } : null,
    end: Math.max(last ? sec(last.at) : 0, ...[...guardrails, ...steady].flatMap((s) => s.points.map((p) => p.t))),
    signals: [...guardrails, ...steady].filter((s) => s.points.length > 0),
  };
}

const COLORS = { line: '#1f5fa8', fault: '#f28e2b', threshold: '#d62728', unknown: '#8c8c8c', breach: '#d62728' };

/** Vega-Lite spec (plain JSON) for one signal: fault window, values, threshold rule, unknown readings, breach. */
export function signalSpec(data: ChartData, s: SignalSeries): Record<string, unknown> {
  const known = s.points.filter((p) => p.value !== null);
  const unknown = s.points.filter((p) => p.value === null);
  const xEnd = data.end > 0 ? data.end : 1;
  const xStart = Math.min(0, ...data.signals.flatMap((sig) => sig.points.map((p) => p.t)));
  const x = { field: 't', type: 'quantitative', title: data.fault ? 'seconds since injection' : 'seconds', scale: { domain: [xStart, xEnd], nice: false } };
  const layers: Array<Record<string, unknown>> = [];
  if (data.fault) {
    layers.push({
      data: { values: [{ from: data.fault.from, to: data.fault.to ?? xEnd, label: data.fault.to === null ? 'fault (no revert recorded)' : 'fault in' }] },
      mark: { type: 'rect', color: COLORS.fault, opacity: 0.18 },
      encoding: { x: { field: 'from', type: 'quantitative', scale: x.scale, title: x.title }, x2: { field: 'to' } },
    });
  }
  layers.push({
    data: { values: s.points.map((p) => ({ t: p.t, value: p.value })) },
    mark: { type: 'line', color: COLORS.line, strokeWidth: 2, point: { filled: true, size: 30, color: COLORS.line } },
    encoding: { x, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } },
  });
  if (s.rule) {
    layers.push({
      data: { values: [{ threshold: s.rule.threshold }] },
      mark: { type: 'rule', color: COLORS.threshold, strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'threshold', type: 'quantitative' } },
    });
  }
  if (unknown.length > 0) {
    layers.push({
      data: { values: unknown.map((p) => ({ t: p.t, status: p.status })) },
      mark: { type: 'rule', color: COLORS.unknown, strokeDash: [2, 3], strokeWidth: 1.5 },
      encoding: { x: { field: 't', type: 'quantitative' } },
    });
  }
  if (s.breach) {
    layers.push({
      data: { values: [{ t: s.breach.t, value: s.breach.value ?? s.rule?.threshold ?? 0 }] },
      mark: { type: 'point', shape: 'circle', filled: true, size: 160, color: COLORS.breach, stroke: 'white', strokeWidth: 1.5 },
      encoding: { x: { field: 't', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
    });
  }
  const ruleText = s.rule ? `${s.kind === 'guardrail' ? 'abort when' : 'passes when'} ${s.rule.comparison} ${s.rule.threshold}` : 'no rule';
  const marks = [s.breach ? (s.kind === 'guardrail' ? `breach at ${s.breach.t} s` : `failed at ${s.breach.t} s`) : null, unknown.length ? `${unknown.length} unknown` : null].filter(Boolean);
  return {
    title: { text: `${s.name} (${s.kind})`, subtitle: [ruleText, ...marks].join(' · '), anchor: 'start' },
    width: 560,
    height: 150,
    layer: layers,
    description: known.length === 0 ? `${s.name}: no known value` : `${s.name}: ${known.length} known value(s)`,
  };
}

/** All signals of a run as small multiples in one Vega-Lite spec (plain JSON). */
export function signalsSpec(data: ChartData): Record<string, unknown> {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${data.title} — ${data.id}`,
      subtitle: [...(data.fault ? ['shaded: the fault in (injection to revert)'] : []), 'dashed red: threshold · red dot: breach · dotted grey: unknown'],
      anchor: 'start',
      fontSize: 15,
      subtitlePadding: 6,
      offset: 14,
    },
    background: 'white',
    padding: 12,
    vconcat: data.signals.map((s) => signalSpec(data, s)),
    resolve: { scale: { y: 'independent' } },
    config: { font: 'DejaVu Sans', view: { stroke: '#dddddd' }, axis: { labelFontSize: 11, titleFontSize: 11, gridColor: '#eeeeee' }, title: { subtitleColor: '#555555' } },
  };
}
