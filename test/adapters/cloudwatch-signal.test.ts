import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cloudwatchSignalAdapter,
  cloudwatchSignalSchema,
  createCloudWatchSource,
  type CloudWatchSignalConfigInput,
  type CloudWatchSignalQueryInput,
} from '../../src/adapters/signals/cloudwatch/index.js';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { Reading, SampleContext, SignalSource } from '../../src/core/ports.js';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { registerCloudWatch, type CloudWatchStandIn, type CloudWatchWorld } from '../fakes/aws/cloudwatch-service.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const MIN = 60_000;
/** A whole minute: the engine samples 30 s into it, so the minute that starts at T0 is still filling up. */
const T0 = Date.UTC(2026, 11, 4, 1, 0, 0);
const NOW = T0 + 30_000;
const DIMS = { LoadBalancer: 'app/web/1234' };

let standIn: AwsStandIn;
let cw: CloudWatchStandIn;
let world: CloudWatchWorld;
let source: SignalSource;

const ctx = (over: Partial<SampleContext> = {}): SampleContext => ({ now: () => NOW, timeoutMs: 3_000, ...over });
const q = (query: Omit<CloudWatchSignalQueryInput, 'source'>): SignalQuery => cloudwatchSignalSchema.parse({ source: 'cloudwatch', ...query }) as SignalQuery;
const reasonOf = (r: Reading) => (r.status === 'unknown' ? r.reason : `ok ${r.value}`);
const fiveXx = (over: Record<string, unknown> = {}) => ({ namespace: 'AWS/ApplicationELB', name: 'HTTPCode_Target_5XX_Count', dimensions: DIMS, stat: 'Sum', ...over });
function makeSource(over: CloudWatchSignalConfigInput = {}): SignalSource {
  const config = cloudwatchSignalAdapter.configSchema.parse({ region: 'eu-west-1', endpoint: standIn.url, ...over });
  return createCloudWatchSource(config, { log: quiet, now: () => NOW }, { credentials: TEST_CREDENTIALS });
}

beforeAll(async () => {
  standIn = await AwsStandIn.start();
  source = makeSource();
});
afterAll(() => standIn.close());
beforeEach(() => {
  world = {
    alarms: [
      { name: 'web-ok', state: 'OK' },
      { name: 'web-5xx', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).' },
      { name: 'web-new', state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: 1 datapoint was unknown.' },
      { name: 'checkout-health', state: 'ALARM', type: 'composite' },
    ],
    series: [
      {
        namespace: 'AWS/ApplicationELB',
        name: 'HTTPCode_Target_5XX_Count',
        dimensions: DIMS,
        // 0..9 a minute apart up to the last whole minute, then 999 in the minute still filling up.
        points: [...Array.from({ length: 10 }, (_, i) => ({ at: T0 - (10 - i) * MIN, value: i })), { at: T0, value: 999 }],
      },
      { namespace: 'AWS/ApplicationELB', name: 'RequestCount', dimensions: DIMS, points: Array.from({ length: 10 }, (_, i) => ({ at: T0 - (10 - i) * MIN, value: 200 })) },
      { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS, stat: 'p99', points: [{ at: T0 - 2 * MIN, value: 0.42 }] },
      { namespace: 'Shop', name: 'Stale', points: [{ at: T0 - 60 * MIN, value: 1 }] },
    ],
  };
  cw = registerCloudWatch(standIn, world);
});

describe('cloudwatch signal: alarms', () => {
  it('ALARM reads 1, OK reads 0 (a guardrail is `>= 1`); composite alarms too', async () => {
    expect(await source.sample(q({ alarm: 'web-5xx' }), ctx())).toEqual({ status: 'ok', value: 1, at: NOW });
    expect(await source.sample(q({ alarm: 'web-ok' }), ctx())).toEqual({ status: 'ok', value: 0, at: NOW });
    expect(await source.sample(q({ alarm: 'checkout-health' }), ctx())).toMatchObject({ status: 'ok', value: 1 });
    expect(cw.received.at(-1)!.input).toEqual({ AlarmNames: ['checkout-health'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
  });

  it('INSUFFICIENT_DATA is unknown with the alarm\'s reason', async () => {
    expect(reasonOf(await source.sample(q({ alarm: 'web-new' }), ctx()))).toBe('alarm web-new is INSUFFICIENT_DATA: Insufficient Data: 1 datapoint was unknown.');
  });

  it('an alarm that does not exist is unknown, naming the alarm and the region', async () => {
    expect(reasonOf(await source.sample(q({ alarm: 'web-5xxx' }), ctx()))).toBe(
      'no alarm named "web-5xxx" in eu-west-1 (neither a metric nor a composite alarm): check the name and the region',
    );
  });

  it('follows the state as it changes between samples', async () => {
    const alarm = q({ alarm: 'web-ok' });
    cw.setAlarm('web-ok', 'ALARM');
    expect(await source.sample(alarm, ctx())).toMatchObject({ status: 'ok', value: 1 });
    cw.setAlarm('web-ok', 'INSUFFICIENT_DATA');
    expect(await source.sample(alarm, ctx())).toMatchObject({ status: 'unknown' });
  });
});

describe('cloudwatch signal: metrics and expressions', () => {
  it('reads the newest whole-period datapoint, never the minute still filling up', async () => {
    expect(await source.sample(q({ metric: fiveXx() }), ctx())).toEqual({ status: 'ok', value: 9, at: NOW });
    expect(cw.received.at(-1)!.input).toEqual({
      MetricDataQueries: [
        {
          Id: 'value',
          MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/1234' }] }, Period: 60, Stat: 'Sum' },
          ReturnData: true,
        },
      ],
      StartTime: (T0 - 5 * MIN) / 1000,
      EndTime: T0 / 1000,
      ScanBy: 'TimestampDescending',
    });
  });

  it('extended statistics (p99) and the window: nothing newer than the window is unknown', async () => {
    expect(await source.sample(q({ metric: { namespace: 'AWS/ApplicationELB', name: 'TargetResponseTime', dimensions: DIMS, stat: 'p99' } }), ctx())).toMatchObject({ status: 'ok', value: 0.42 });
    expect(reasonOf(await source.sample(q({ metric: { namespace: 'Shop', name: 'Stale', stat: 'Maximum' } }), ctx()))).toBe('no datapoint for Shop Stale in the last 5m in eu-west-1');
    expect(reasonOf(await source.sample(q({ metric: { namespace: 'Shop', name: 'Stale', stat: 'Maximum', period: '5m' }, window: '2h' }), ctx()))).toBe('ok 1');
  });

  it('a unit, when given, is sent with the metric', async () => {
    expect(await source.sample(q({ metric: fiveXx({ unit: 'Count' }) }), ctx())).toMatchObject({ status: 'ok', value: 9 });
    expect((cw.received.at(-1)!.input.MetricDataQueries as Array<{ MetricStat: { Unit?: string } }>)[0]!.MetricStat.Unit).toBe('Count');
  });

  it('no datapoint at all (wrong dimensions) is unknown', async () => {
    expect(reasonOf(await source.sample(q({ metric: fiveXx({ dimensions: { LoadBalancer: 'app/other/1' } }) }), ctx()))).toMatch(/^no datapoint for AWS\/ApplicationELB HTTPCode_Target_5XX_Count in the last 5m/);
  });

  it('metric math: the newest value of the expression over its metrics', async () => {
    const ratio = q({ expression: '100 * errors / requests', metrics: { errors: fiveXx(), requests: fiveXx({ name: 'RequestCount' }) } });
    expect(await source.sample(ratio, ctx())).toMatchObject({ status: 'ok', value: 4.5 });
    const sent = cw.received.at(-1)!.input.MetricDataQueries as Array<Record<string, unknown>>;
    expect(sent.map((m) => [m.Id, m.ReturnData, m.Expression ?? null, m.Period ?? (m.MetricStat as { Period: number }).Period])).toEqual([
      ['errors', false, null, 60],
      ['requests', false, null, 60],
      ['value', true, '100 * errors / requests', 60],
    ]);
  });

  it('an expression CloudWatch refuses is unknown with its code and message', async () => {
    const r = await source.sample(q({ expression: 'errors / nothing', metrics: { errors: fiveXx() } }), ctx());
    expect(reasonOf(r)).toMatch(/^CloudWatch GetMetricData failed: ValidationError \(HTTP 400, request id [0-9a-f-]{36}\): Error in expression 'value': Unrecognized metric id "nothing"$/);
  });
});

describe('cloudwatch signal: failures are unknown, never a throw', () => {
  it('throttled twice, then answered: the SDK\'s standard retry mode retries', async () => {
    standIn.throttleNext('monitoring', 2, 'DescribeAlarms');
    const before = standIn.callsTo('monitoring', 'DescribeAlarms').length;
    expect(await source.sample(q({ alarm: 'web-5xx' }), ctx({ timeoutMs: 10_000 }))).toMatchObject({ status: 'ok', value: 1 });
    expect(standIn.callsTo('monitoring', 'DescribeAlarms').slice(before).map((c) => c.status)).toEqual([400, 400, 200]);
  });

  it('throttled past maxAttempts is unknown: Throttling with the request id', async () => {
    standIn.throttleNext('monitoring', 5, 'GetMetricData');
    const r = await makeSource({ maxAttempts: 2 }).sample(q({ metric: fiveXx() }), ctx({ timeoutMs: 10_000 }));
    expect(reasonOf(r)).toMatch(/^CloudWatch GetMetricData failed: Throttling \(HTTP 400, request id [0-9a-f-]{36}\): Rate exceeded$/);
    standIn.throttleNext('monitoring', 0);
  });

  it('any other AWS error: its code, status and request id, and no stack', async () => {
    world.failNext = [{ action: 'DescribeAlarms', status: 403, code: 'AccessDenied', message: 'User: arn:aws:sts::123456789012:assumed-role/faultline is not authorized to perform: cloudwatch:DescribeAlarms' }];
    const reason = reasonOf(await source.sample(q({ alarm: 'web-5xx' }), ctx()));
    const requestId = standIn.callsTo('monitoring', 'DescribeAlarms').at(-1);
    expect(requestId?.status).toBe(403);
    expect(reason).toMatch(/^CloudWatch DescribeAlarms failed: AccessDenied \(HTTP 403, request id [0-9a-f-]{36}\): User: .* not authorized to perform: cloudwatch:DescribeAlarms$/);
    expect(reason).not.toMatch(/\n|\s+at /);
  });

  it('a CloudWatch that never answers is unknown within the engine\'s timeout', async () => {
    world.delayMs = { DescribeAlarms: Infinity };
    // CloudWatch never answers here: the sample coming back at all, with this reason, is the timeout at work.
    const r = await source.sample(q({ alarm: 'web-5xx' }), ctx({ timeoutMs: 300 }));
    expect(reasonOf(r)).toBe('CloudWatch DescribeAlarms gave no answer within 300 ms');
  });

  it('requestTimeout caps a call when it is shorter than the engine\'s', async () => {
    world.delayMs = { GetMetricData: Infinity };
    const r = await makeSource({ requestTimeout: '200ms' }).sample(q({ metric: fiveXx() }), ctx({ timeoutMs: 5_000 }));
    expect(reasonOf(r)).toBe('CloudWatch GetMetricData gave no answer within 200 ms');
  });

  it('the engine\'s abort cancels a sample in flight at once', async () => {
    world.delayMs = { DescribeAlarms: Infinity };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const r = await source.sample(q({ alarm: 'web-5xx' }), ctx({ timeoutMs: 10_000, signal: controller.signal }));
    expect(reasonOf(r)).toBe('CloudWatch DescribeAlarms was cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('nothing listening on the endpoint is unknown with the cause', async () => {
    const closed = await AwsStandIn.start();
    const url = closed.url;
    await closed.close();
    const r = await makeSource({ endpoint: url, maxAttempts: 1 }).sample(q({ alarm: 'web-5xx' }), ctx());
    expect(reasonOf(r)).toMatch(/^CloudWatch DescribeAlarms failed: .*ECONNREFUSED/);
  });

  it('a query that is not a cloudwatch signal is unknown, not a throw', async () => {
    expect(reasonOf(await source.sample({ source: 'cloudwatch' } as SignalQuery, ctx()))).toBe('invalid cloudwatch signal: query name an `alarm`, a `metric` or an `expression`');
  });
});

describe('cloudwatch signal: schema and description', () => {
  const problems = (query: Record<string, unknown>) => {
    const r = cloudwatchSignalSchema.safeParse({ source: 'cloudwatch', ...query });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the three forms with their defaults', () => {
    expect(cloudwatchSignalSchema.parse({ source: 'cloudwatch', alarm: 'web-5xx' })).toEqual({ source: 'cloudwatch', alarm: 'web-5xx' });
    expect(cloudwatchSignalSchema.parse({ source: 'cloudwatch', metric: fiveXx({ period: '1m' }), window: '10m' })).toMatchObject({ metric: { period: 60_000, dimensions: DIMS }, window: 600_000 });
    expect(problems({ expression: 'SUM(METRICS())', metrics: { a: fiveXx(), b: fiveXx({ stat: 'p99.9' }) }, period: '5m' })).toEqual([]);
  });

  it('refuses bad queries, each with its field', () => {
    expect(problems({})).toEqual([': name an `alarm`, a `metric` or an `expression`']);
    expect(problems({ alarm: 'a', metric: fiveXx() })).toEqual(['metric: one of alarm, metric and expression, not alarm and metric']);
    expect(problems({ alarm: 'a', window: '5m' })).toEqual(['window: an alarm has its own periods; `window` applies to a metric or an expression']);
    expect(problems({ metric: fiveXx({ stat: 'Median' }) })[0]).toMatch(/^metric.stat: expected a statistic \(SampleCount, Average, Sum, Minimum, Maximum, IQM\) or an extended one/);
    expect(problems({ metric: fiveXx({ period: '90s' }) })).toEqual(['metric.period: a CloudWatch period is 1s, 5s, 10s, 30s or a multiple of 1m; got 1m30s']);
    expect(problems({ metric: fiveXx({ period: 60 }) })[0]).toMatch(/^metric.period: expected a duration written with its unit/);
    expect(problems({ metric: fiveXx({ period: '5m' }), window: '2m' })).toEqual(['window: the window (2m) is shorter than the period (5m): no whole period fits']);
    expect(problems({ metric: { namespace: 'AWS/EC2', name: 'CPUUtilization' } })[0]).toMatch(/^metric.stat: /);
    expect(problems({ metric: fiveXx(), period: '1m' })).toEqual(['period: write the period inside `metric` (metric.period)']);
    expect(problems({ expression: 'a / b', metrics: { Bad: fiveXx(), value: fiveXx() } }).length).toBe(2);
    expect(problems({ alarm: 'a', region: 'mars' })).toEqual(['region: a region such as eu-west-1']);
    expect(problems({ metric: fiveXx({ unit: 'count' }) })[0]).toMatch(/^metric.unit: /);
    expect(problems({ alarm: 'a', alarms: ['b'] })[0]).toMatch(/Unrecognized key/);
  });

  it('describes each form for the card and the readings', () => {
    expect(source.describe(q({ alarm: 'web-5xx' }))).toBe('cloudwatch alarm web-5xx (1 = ALARM, 0 = OK)');
    expect(source.describe(q({ metric: fiveXx({ stat: 'p99' }), window: '10m' }))).toBe('cloudwatch AWS/ApplicationELB HTTPCode_Target_5XX_Count{LoadBalancer=app/web/1234} p99 per 1m, newest in 10m');
    expect(source.describe(q({ expression: 'a / b', metrics: { a: fiveXx(), b: fiveXx() }, period: '5m', region: 'us-east-1' }))).toBe('cloudwatch a / b per 5m, newest in 5m in us-east-1');
  });

  it('config: durations as text, strict', () => {
    expect(cloudwatchSignalAdapter.configSchema.parse({})).toEqual({ requestTimeout: 5_000, maxAttempts: 3 });
    expect(cloudwatchSignalAdapter.configSchema.parse({ region: 'eu-west-1', profile: 'chaos', requestTimeout: '2s' })).toMatchObject({ region: 'eu-west-1', profile: 'chaos', requestTimeout: 2_000 });
    expect(cloudwatchSignalAdapter.configSchema.safeParse({ requestTimeout: 2000 }).success).toBe(false);
    expect(cloudwatchSignalAdapter.configSchema.safeParse({ accessKeyId: 'AKIA' }).success).toBe(false);
  });
});
