import { describe, expect, it } from 'vitest';
import { formatReading, readingUnit } from '../../src/reports/reading-units.js';

// Queries as the playbooks write them (src/core/playbook.ts and each signal adapter's schema).
const http = (path: string, measure?: string) => ({ source: 'http', url: 'http://checkout/stats', path, ...(measure ? { measure } : {}) });
const prom = (query: string) => ({ source: 'prometheus', query });

describe('reading units', () => {
  it('an http JSON field named like p99Ms is ms; one named like errorRate is a ratio shown as %', () => {
    expect(readingUnit(http('p99Ms'), [800, 240])).toBe('ms');
    expect(readingUnit(http('stats.latency_ms'))).toBe('ms');
    expect(readingUnit(http('errorRate'), [0.05, 0.012])).toBe('ratio');
    expect(readingUnit(http('stats.error_rate'), [0.01])).toBe('ratio');
    expect(readingUnit(http('readyRatio'), [0.9])).toBe('ratio');
  });

  it('a rate outside 0..1 is not a ratio: requests per second, or a percentage already', () => {
    expect(readingUnit(http('requestRate'), [200, 180])).toBeNull();
    expect(readingUnit(http('errorRate'), [5, 0.4])).toBeNull();
  });

  it('names that only look alike get no unit', () => {
    for (const path of ['items', 'errors', 'p99', 'latency', 'generate', 'msgs', 'errorrate', 'items.0.value']) expect(readingUnit(http(path), [0.5])).toBeNull();
  });

  it('an http latency probe is ms; a status code is a bare number', () => {
    expect(readingUnit({ source: 'http', url: 'http://checkout/health', measure: 'latency' })).toBe('ms');
    expect(readingUnit({ source: 'http', url: 'http://checkout/health', measure: 'status' }, [200])).toBeNull();
  });

  it("pods: ready-ratio (the default measure) is a ratio, the counts are bare", () => {
    expect(readingUnit({ source: 'pods', namespace: 'shop' }, [1])).toBe('ratio');
    expect(readingUnit({ source: 'pods', namespace: 'shop', measure: 'ready-ratio' }, [0.67])).toBe('ratio');
    expect(readingUnit({ source: 'pods', namespace: 'shop', measure: 'ready-count' }, [3])).toBeNull();
  });

  it('prometheus: a bare metric by its conventional suffix, a whole histogram_quantile by its buckets, anything else bare', () => {
    expect(readingUnit(prom('checkout_error_ratio'), [0.01])).toBe('ratio');
    expect(readingUnit(prom('probe_duration_seconds{job="checkout"}'))).toBe('s');
    // A recording rule's operation may change the unit (`…_seconds:rate5m` is per second): not judged.
    expect(readingUnit(prom('job:request_duration_seconds:rate5m'))).toBeNull();
    expect(readingUnit(prom('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{job="checkout"}[1m])))'))).toBe('s');
    expect(readingUnit(prom('histogram_quantile(0.99, sum by (le) (rate(rpc_latency_milliseconds_bucket[5m])))'))).toBe('ms');
    // Arithmetic around the quantile changes the unit; a rate of a counter is per second, not seconds.
    expect(readingUnit(prom('histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[1m]))) * 1000'))).toBeNull();
    expect(readingUnit(prom('rate(http_request_duration_seconds_count[1m])'))).toBeNull();
    expect(readingUnit(prom('sum(rate(http_requests_total{code=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))'), [0.01])).toBeNull();
  });

  it('cloudwatch: the unit a metric declares (Milliseconds, Seconds, Percent); an alarm or an undeclared unit is bare', () => {
    const metric = (unit?: string) => ({ source: 'cloudwatch', metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', stat: 'p99', ...(unit ? { unit } : {}) } });
    expect(readingUnit(metric('Milliseconds'))).toBe('ms');
    expect(readingUnit(metric('Seconds'))).toBe('s');
    expect(readingUnit(metric('Percent'), [12])).toBe('percent');
    expect(readingUnit(metric('Count'))).toBeNull();
    expect(readingUnit(metric())).toBeNull();
    expect(readingUnit({ source: 'cloudwatch', alarm: 'checkout-5xx' }, [1])).toBeNull();
  });

  it('a source it does not know, or no query at all, is bare', () => {
    expect(readingUnit({ source: 'scripted', key: 'p99Ms' })).toBeNull();
    expect(readingUnit(undefined)).toBeNull();
  });

  it('formats a value with its unit: ms and s spaced, a ratio ×100 as %, a percentage as is', () => {
    expect(formatReading(760, 'ms')).toBe('760 ms');
    expect(formatReading(0.2504, 's')).toBe('0.2504 s');
    expect(formatReading(0.12, 'ratio')).toBe('12%');
    expect(formatReading(0.07, 'ratio')).toBe('7%');
    expect(formatReading(0.0043, 'ratio')).toBe('0.43%');
    expect(formatReading(12.5, 'percent')).toBe('12.5%');
    expect(formatReading(0.0052, null)).toBe('0.0052');
    expect(formatReading(null, 'ms')).toBe('—');
    expect(formatReading(Number.NaN, 'ratio')).toBe('—');
  });
});
