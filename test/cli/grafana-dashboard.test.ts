import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { createBotMetrics } from '../../src/app/bot-metrics.js';
import { promqlSyntaxError } from '../../src/adapters/signals/prometheus/promql.js';

const FILE = fileURLToPath(new URL('../../deploy/grafana/faultline-dashboard.json', import.meta.url));

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr?: string; refId: string; datasource?: { type: string; uid: string } }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: string }> };
  annotations: { list: Array<{ name: string; enable: boolean; datasource: { type: string; uid: string }; builtIn?: number; target?: { type: string; tags: string[] } }> };
};

/** Every panel, those inside collapsed rows too. */
const allPanels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Grafana's range macros read as durations, so the query parses as plain PromQL. */
const asPromql = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '6h').replaceAll('$__interval', '30s');

/** The metric names a query selects and the label names it matches on or groups by. */
function namesIn(expr: string): { metrics: string[]; labels: string[] } {
  const metrics: string[] = [];
  const labels: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      const text = expr.slice(node.from, node.to);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.push(text);
      if (node.name === 'LabelName') labels.push(text);
    },
  });
  return { metrics, labels };
}

/** What the bot's registry exports: every series name (a histogram's _bucket, _sum, _count) and each metric's label names. */
function exported(): { series: Map<string, Set<string>> } {
  const { registry } = createBotMetrics(() => ({ running: 1 }), () => ({}));
  const series = new Map<string, Set<string>>();
  for (const m of registry.getMetricsAsArray() as unknown as Array<{ name: string; labelNames: string[]; constructor: { name: string } }>) {
    const labels = new Set([...m.labelNames, 'app', 'job', 'instance']);
    if (m.constructor.name === 'Histogram') {
      series.set(`${m.name}_bucket`, new Set([...labels, 'le']));
      series.set(`${m.name}_sum`, labels);
      series.set(`${m.name}_count`, labels);
    } else {
      series.set(m.name, labels);
    }
  }
  return { series };
}

describe('deploy/grafana/faultline-dashboard.json', () => {
  const panels = allPanels(dashboard.panels);
  const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr ?? '' })));

  it('is a schema-39 dashboard with a uid, a Prometheus data source variable, and panels that use it', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe('faultline-bot');
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }));
    expect(panels.length).toBeGreaterThanOrEqual(8);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels.filter((x) => x.targets)) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of p.targets!) expect(t.expr, `${p.title} ${t.refId}`).toBeTruthy();
    }
  });

  it('every query is valid PromQL naming only metrics (and labels) the bot exports', () => {
    const { series } = exported();
    const used = new Set<string>();
    for (const q of queries) {
      const expr = asPromql(q.expr);
      expect(promqlSyntaxError(expr), `${q.panel}: ${q.expr}`).toBeNull();
      const { metrics, labels } = namesIn(expr);
      expect(metrics.length, `${q.panel}: ${q.expr} selects no metric`).toBeGreaterThan(0);
      for (const m of metrics) {
        expect([...series.keys()], `${q.panel}: ${m}`).toContain(m);
        used.add(m);
        // Labels matched on or grouped by must be the metric's own (or the scrape's).
        const known = new Set(metrics.flatMap((x) => [...(series.get(x) ?? [])]));
        for (const l of labels) expect([...known], `${q.panel}: label ${l} in ${q.expr}`).toContain(l);
      }
    }
    // Each metric the bot exports has a panel.
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    expect(new Set([...used].map(base))).toEqual(new Set([...series.keys()].map(base)));
  });

  it('draws the experiments as annotations: Grafana\'s own annotations, filtered by the tag faultline', () => {
    const faultline = dashboard.annotations.list.filter((a) => !a.builtIn);
    expect(faultline).toHaveLength(1);
    expect(faultline[0]).toMatchObject({ enable: true, datasource: { type: 'grafana', uid: '-- Grafana --' }, target: { type: 'tags', tags: ['faultline'] } });
  });
});
