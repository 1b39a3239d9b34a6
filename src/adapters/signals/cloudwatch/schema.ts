import { z } from 'zod';
import { Duration, formatDuration } from '../../../core/duration.js';

/** Adapter settings (`adapters.signals.cloudwatch`). Credentials never live here: they come from the SDK's default chain. */
export const CloudWatchSignalConfig = z.strictObject({
  region: z.string().min(1).optional().describe('default region of every query; else AWS_REGION / the profile\'s region'),
  profile: z.string().min(1).optional().describe('a profile of ~/.aws/config and ~/.aws/credentials; else AWS_PROFILE / default'),
  endpoint: z.string().url().optional().describe('another CloudWatch endpoint (LocalStack); AWS_ENDPOINT_URL_CLOUDWATCH / AWS_ENDPOINT_URL do the same without config'),
  requestTimeout: Duration.default(5_000).describe('how long one call may take, retries included, e.g. "5s" (the engine\'s signal timeout still caps it)'),
  maxAttempts: z.number().int().min(1).max(10).default(3).describe('attempts per call in the SDK\'s standard retry mode (throttling is retried with backoff)'),
});
export type CloudWatchSignalConfig = z.infer<typeof CloudWatchSignalConfig>;
export type CloudWatchSignalConfigInput = z.input<typeof CloudWatchSignalConfig>;

/** CloudWatch's StandardUnit values. */
const UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second',
  'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;

const BASIC_STATS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum', 'IQM'];
const PERCENTILE_LIKE = /^(p|tm|tc|ts|wm)\d{1,2}(\.\d{1,10})?$|^(p|tm|tc|ts|wm)100$|^(PR|TM|TC|TS|WM)\([^()]+\)$/;

/** A statistic as GetMetricData takes it: Average, Sum, …, or an extended one (p99, p99.9, tm90, TM(10%:90%)). */
export const CloudWatchStat = z
  .string()
  .refine((s) => BASIC_STATS.includes(s) || PERCENTILE_LIKE.test(s), {
    error: (i) => `expected a statistic (${BASIC_STATS.join(', ')}) or an extended one such as p99, p99.9, tm90; got ${JSON.stringify(i.input)}`,
  });

/** Periods CloudWatch accepts: 1, 5, 10, 30 s (high resolution) or a multiple of 60 s. */
export const CloudWatchPeriod = Duration.refine((ms) => ms % 1000 === 0 && ([1, 5, 10, 30].includes(ms / 1000) || (ms / 1000) % 60 === 0), {
  error: (i) => `a CloudWatch period is 1s, 5s, 10s, 30s or a multiple of 1m; got ${formatDuration(Number(i.input))}`,
});

/** Metric ids as GetMetricData wants them; `value` is the id of the answer itself. */
const MetricId = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9_]{0,254}$/, 'an id starts with a lower-case letter, then letters, digits and _')
  .refine((id) => id !== 'value', '"value" is the id of the result; name the metric otherwise');

/** One metric and how to reduce it per period. */
export const CloudWatchMetric = z.strictObject({
  namespace: z.string().min(1).max(255).describe('e.g. AWS/ApplicationELB'),
  name: z.string().min(1).max(255).describe('metric name, e.g. HTTPCode_Target_5XX_Count'),
  dimensions: z
    .record(z.string().min(1).max(255), z.string().min(1).max(1024))
    .default({})
    .refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions')
    .describe('every dimension of the metric, exactly as published (CloudWatch matches the whole set)'),
  stat: CloudWatchStat,
  period: CloudWatchPeriod.optional().describe('granularity of the datapoints (default 1m, or the expression\'s period)'),
  unit: z
    .enum(UNITS)
    .optional()
    .describe('only datapoints published with this unit, e.g. Count, Seconds, Percent'),
});
export type CloudWatchMetric = z.infer<typeof CloudWatchMetric>;

/** The default look-back: datapoints arrive in CloudWatch a minute or two late. */
export const DEFAULT_WINDOW_MS = 5 * 60_000;
export const DEFAULT_PERIOD_MS = 60_000;
const MAX_WINDOW_MS = 24 * 3_600_000;

/**
 * A playbook's `signal` for `source: cloudwatch`, one of three forms:
 * - `alarm: <name>`: the alarm's state, read as 1 (ALARM) or 0 (OK); INSUFFICIENT_DATA and a missing alarm are unknown;
 * - `metric: {…}`: the newest whole-period datapoint of one metric within `window`;
 * - `expression: <metric math>` over `metrics: { id: {…} }`: the newest datapoint of the expression.
 */
export const cloudwatchSignalSchema = z
  .strictObject({
    source: z.literal('cloudwatch'),
    alarm: z.string().min(1).max(255).optional().describe('an alarm name (metric or composite): 1 while ALARM, 0 while OK'),
    metric: CloudWatchMetric.optional(),
    expression: z.string().min(1).max(2048).optional().describe('metric math over the ids of `metrics`, e.g. "100 * errors / requests"'),
    metrics: z.record(MetricId, CloudWatchMetric).optional().describe('the metrics the expression names, by id'),
    period: CloudWatchPeriod.optional().describe('period of the expression (default 1m)'),
    window: Duration.optional().describe('how far back the newest datapoint may lie (default 5m)'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'a region such as eu-west-1')
      .optional()
      .describe('the alarm\'s or metric\'s region when it is not the adapter\'s'),
  })
  .superRefine((q, ctx) => {
    const forms = (['alarm', 'metric', 'expression'] as const).filter((k) => q[k] !== undefined);
    if (forms.length !== 1) {
      const message =
        forms.length === 0 ? 'name an `alarm`, a `metric` or an `expression`' : `one of alarm, metric and expression, not ${forms.join(' and ')}`;
      ctx.addIssue({ code: 'custom', path: forms.length ? [forms[1]!] : [], message });
      return;
    }
    const form = forms[0]!;
    if (form === 'alarm') {
      for (const k of ['window', 'period', 'metrics'] as const) {
        if (q[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `an alarm has its own ${k === 'metrics' ? 'metrics' : 'periods'}; \`${k}\` applies to a metric or an expression` });
      }
      return;
    }
    if (form === 'metric') {
      if (q.metrics !== undefined) ctx.addIssue({ code: 'custom', path: ['metrics'], message: '`metrics` are the inputs of an `expression`' });
      if (q.period !== undefined) ctx.addIssue({ code: 'custom', path: ['period'], message: 'write the period inside `metric` (metric.period)' });
    }
    const period = periodOf(q as CloudWatchSignalQuery);
    const window = q.window ?? Math.max(DEFAULT_WINDOW_MS, period);
    if (window < period) ctx.addIssue({ code: 'custom', path: ['window'], message: `the window (${formatDuration(window)}) is shorter than the period (${formatDuration(period)}): no whole period fits` });
    if (window > MAX_WINDOW_MS) ctx.addIssue({ code: 'custom', path: ['window'], message: 'a window of at most 24h' });
  });
export type CloudWatchSignalQuery = z.infer<typeof cloudwatchSignalSchema>;
export type CloudWatchSignalQueryInput = z.input<typeof cloudwatchSignalSchema>;

/** The period of the datapoints read: the metric's, else the expression's, else 1m. */
export function periodOf(q: Pick<CloudWatchSignalQuery, 'metric' | 'period'>): number {
  return q.metric?.period ?? q.period ?? DEFAULT_PERIOD_MS;
}

/** The look-back of a metric or expression query. */
export function windowOf(q: Pick<CloudWatchSignalQuery, 'metric' | 'period' | 'window'>): number {
  return q.window ?? Math.max(DEFAULT_WINDOW_MS, periodOf(q));
}

function metricText(m: Partial<CloudWatchMetric>): string {
  const dims = Object.entries(m.dimensions ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${m.namespace ?? '(no namespace)'} ${m.name ?? '(no name)'}${dims ? `{${dims}}` : ''} ${m.stat ?? '(no stat)'}`;
}

/** What the card and every reading say the signal is. */
export function describeCloudWatchQuery(q: Partial<CloudWatchSignalQuery>): string {
  const where = q.region ? ` in ${q.region}` : '';
  if (q.alarm !== undefined) return `cloudwatch alarm ${q.alarm}${where} (1 = ALARM, 0 = OK)`;
  const every = `per ${formatDuration(periodOf(q))}, newest in ${formatDuration(windowOf(q))}`;
  if (q.metric) return `cloudwatch ${metricText(q.metric)} ${every}${where}`;
  if (q.expression !== undefined) return `cloudwatch ${q.expression} ${every}${where}`;
  return 'cloudwatch (no alarm, metric or expression)';
}
