import { describe, expect, it } from 'vitest';
import { promqlSyntaxError } from '../../src/adapters/signals/prometheus/promql.js';
import { prometheusSignalSchema } from '../../src/adapters/signals/prometheus/schema.js';

describe('PromQL syntax, with the Prometheus grammar', () => {
  it.each([
    'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
    'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
    '(sum(rate(x{code=~"5.."}[3s])) or vector(0)) / sum(rate(x[3s]))',
    'max_over_time(kafka_consumergroup_lag{group="orders"}[1m:10s] offset 1m)',
    'up{job="api",} == 0',
    'rate(x)', // types are Prometheus's to judge, not the grammar's
  ])('accepts %s', (query) => {
    expect(promqlSyntaxError(query)).toBeNull();
  });

  it.each([
    ['sum(rate(http_requests_total[5m]) by', 'PromQL syntax error at 1:35 near "by"'],
    ['sum(rate(x[5m])', 'PromQL syntax error at 1:16 at the end of the query'],
    ['rate(x[5m]) >', 'PromQL syntax error at 1:14 at the end of the query'],
    ['up down', 'PromQL syntax error at 1:4 near "down"'],
    ['sum by (job) (rate(x[1m]))\n  /\n  on() ) foo', 'PromQL syntax error at 3:8 near ") foo"'],
    ['sum(rate(a_very_long_metric_name_that_goes_on[5m]) by', 'PromQL syntax error at 1:52 near "by"'],
    ['nonexistent_fn(x)', 'PromQL syntax error at 1:15 near "(x)"'],
    ['sum(x) by (job) foo_bar_baz_quux_and_more_text_here', 'PromQL syntax error at 1:17 near "foo_bar_baz_quux_and_mor…"'],
  ])('refuses %j: %s', (query, expected) => {
    expect(promqlSyntaxError(query)).toBe(expected);
  });

  it('is part of the signal schema, so validate, load and propose all see it at signal.query', () => {
    const r = prometheusSignalSchema.safeParse({ source: 'prometheus', query: 'sum(rate(x[5m]) by' });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([expect.objectContaining({ path: ['query'], message: 'PromQL syntax error at 1:17 near "by"' })]);
    expect(prometheusSignalSchema.safeParse({ source: 'prometheus', query: 'sum(rate(x[5m]))' }).success).toBe(true);
  });
});
