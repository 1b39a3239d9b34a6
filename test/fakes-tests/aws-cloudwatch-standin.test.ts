import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  paginateDescribeAlarms,
  paginateGetMetricData,
  ResourceNotFound,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsStandIn, TEST_CREDENTIALS } from '../fakes/aws/aws-standin.js';
import { registerCloudWatch, type CloudWatchStandIn, type CloudWatchWorld } from '../fakes/aws/cloudwatch-service.js';
import { evaluateExpression } from '../fakes/aws/cloudwatch-world.js';

const T0 = Date.UTC(2026, 11, 4, 1, 0, 0);
const MIN = 60_000;
const ELB = { namespace: 'AWS/ApplicationELB', dims: { LoadBalancer: 'app/web/1234' } };

let standIn: AwsStandIn;
let cw: CloudWatchStandIn;
let world: CloudWatchWorld;
let client: CloudWatchClient;

function freshWorld(): CloudWatchWorld {
  return {
    alarms: [
      ...Array.from({ length: 7 }, (_, i) => ({ name: `web-${i}`, state: 'OK' as const })),
      { name: 'web-5xx', state: 'ALARM', reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0).' },
      { name: 'web-composite', state: 'OK', type: 'composite' },
    ],
    series: [
      {
        namespace: ELB.namespace,
        name: 'HTTPCode_Target_5XX_Count',
        dimensions: ELB.dims,
        points: Array.from({ length: 10 }, (_, i) => ({ at: T0 - (10 - i) * MIN, value: i })),
      },
      { namespace: ELB.namespace, name: 'RequestCount', dimensions: ELB.dims, points: Array.from({ length: 10 }, (_, i) => ({ at: T0 - (10 - i) * MIN, value: 100 })) },
    ],
  };
}

beforeAll(async () => {
  standIn = await AwsStandIn.start();
  client = new CloudWatchClient({ region: 'eu-west-1', endpoint: standIn.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
beforeEach(() => {
  world = freshWorld();
  cw = registerCloudWatch(standIn, world);
});
afterAll(async () => {
  client.destroy();
  await standIn.close();
});

const metric = (name: string, stat = 'Sum') => ({ Metric: { Namespace: ELB.namespace, MetricName: name, Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/1234' }] }, Period: 60, Stat: stat });
const range = { StartTime: new Date(T0 - 10 * MIN), EndTime: new Date(T0) };

describe('CloudWatch stand-in: the protocol of @aws-sdk/client-cloudwatch', () => {
  it('is AWS JSON 1.0 in query-compatible mode, signed for "monitoring"', async () => {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] }));
    expect(out.MetricAlarms?.map((a) => [a.AlarmName, a.StateValue, a.AlarmArn])).toEqual([['web-5xx', 'ALARM', 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx']]);
    expect(out.MetricAlarms?.[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(cw.received.at(-1)).toEqual({ action: 'DescribeAlarms', input: { AlarmNames: ['web-5xx'] }, queryMode: true });
    expect(standIn.callsTo('monitoring', 'DescribeAlarms').at(-1)).toMatchObject({ status: 200, accessKeyId: TEST_CREDENTIALS.accessKeyId });
  });

  it('lists composite alarms only when AlarmTypes asks for them, and pages DescribeAlarms by NextToken', async () => {
    expect((await client.send(new DescribeAlarmsCommand({ AlarmNames: ['web-composite'] }))).CompositeAlarms ?? []).toEqual([]);
    const both = await client.send(new DescribeAlarmsCommand({ AlarmNames: ['web-composite'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
    expect(both.CompositeAlarms?.map((a) => a.AlarmName)).toEqual(['web-composite']);
    const names: string[] = [];
    let pages = 0;
    for await (const p of paginateDescribeAlarms({ client, pageSize: 3 }, { AlarmNamePrefix: 'web-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })) {
      pages++;
      names.push(...(p.MetricAlarms ?? []).map((a) => a.AlarmName!), ...(p.CompositeAlarms ?? []).map((a) => a.AlarmName!));
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(9);
    expect(names.at(-1)).toBe('web-composite');
  });

  it('answers GetMetricData newest first within [StartTime, EndTime), epoch seconds on the wire', async () => {
    const out = await client.send(new GetMetricDataCommand({ ...range, MetricDataQueries: [{ Id: 'e', MetricStat: metric('HTTPCode_Target_5XX_Count') }], ScanBy: 'TimestampDescending' }));
    const r = out.MetricDataResults![0]!;
    expect(r.Values).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(r.Timestamps?.[0]).toEqual(new Date(T0 - MIN));
    expect(r.StatusCode).toBe('Complete');
    expect(cw.received.at(-1)!.input).toMatchObject({ StartTime: (T0 - 10 * MIN) / 1000, EndTime: T0 / 1000 });
  });

  it('computes arithmetic metric math over the ids sent, returns only ReturnData queries', async () => {
    const out = await client.send(
      new GetMetricDataCommand({
        ...range,
        MetricDataQueries: [
          { Id: 'errors', MetricStat: metric('HTTPCode_Target_5XX_Count'), ReturnData: false },
          { Id: 'requests', MetricStat: metric('RequestCount'), ReturnData: false },
          { Id: 'ratio', Expression: '100 * errors / requests', Period: 60 },
        ],
      }),
    );
    expect(out.MetricDataResults?.map((r) => r.Id)).toEqual(['ratio']);
    expect(out.MetricDataResults![0]!.Values![0]).toBe(9);
    expect(evaluateExpression('(a + b) / -2', new Map([['a', [{ at: 1, value: 1 }]], ['b', [{ at: 1, value: 3 }]]]))).toEqual([{ at: 1, value: -2 }]);
    expect(evaluateExpression('SEARCH(x)', new Map())).toMatch(/unexpected/);
  });

  it('pages GetMetricData by NextToken (MaxDatapoints)', async () => {
    const results: MetricDataResult[] = [];
    for await (const p of paginateGetMetricData({ client }, { ...range, MaxDatapoints: 4, MetricDataQueries: [{ Id: 'e', MetricStat: metric('HTTPCode_Target_5XX_Count') }] })) {
      results.push(...(p.MetricDataResults ?? []));
    }
    expect(results.map((r) => r.Values)).toEqual([[9, 8, 7, 6], [5, 4, 3, 2], [1, 0]]);
    expect(results.map((r) => r.StatusCode)).toEqual(['PartialData', 'PartialData', 'Complete']);
  });

  it('errors as AWS writes them: __type, message, x-amzn-query-error; the SDK reads code, name and request id', async () => {
    const err = (await client.send(new DescribeAlarmsCommand({ AlarmNames: ['a'], NextToken: 'forged' })).catch((e: unknown) => e)) as Record<string, unknown> & { $metadata: { httpStatusCode: number; requestId: string } };
    expect(err).toMatchObject({ name: 'InvalidNextToken', Code: 'InvalidNextToken', Type: 'Sender', $fault: 'client' });
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    world.failNext = [{ action: 'DescribeAlarms', status: 404, code: 'ResourceNotFound', message: 'gone' }];
    const modelled = await client.send(new DescribeAlarmsCommand({})).catch((e: unknown) => e);
    expect(modelled).toBeInstanceOf(ResourceNotFound);
    const bad = (await client.send(new GetMetricDataCommand({ StartTime: new Date(T0), EndTime: new Date(T0), MetricDataQueries: [{ Id: 'e', MetricStat: metric('X') }] })).catch((e: unknown) => e)) as Record<string, unknown>;
    expect(bad).toMatchObject({ name: 'ValidationException', Code: 'ValidationError', message: 'The parameter StartTime must be less than the parameter EndTime.' });
  });

  it('throttles in the real shape (Throttling;Sender), which the standard retry mode retries', async () => {
    standIn.throttleNext('monitoring', 1, 'DescribeAlarms');
    const once = (await client.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] })).catch((e: unknown) => e)) as Record<string, unknown>;
    expect(once).toMatchObject({ name: 'Throttling', Code: 'Throttling', message: 'Rate exceeded' });
    const retrying = new CloudWatchClient({ region: 'eu-west-1', endpoint: standIn.url, credentials: TEST_CREDENTIALS, retryMode: 'standard', maxAttempts: 3 });
    standIn.throttleNext('monitoring', 2, 'DescribeAlarms');
    const out = await retrying.send(new DescribeAlarmsCommand({ AlarmNames: ['web-5xx'] }));
    expect(out.$metadata.attempts).toBe(3);
    expect(out.MetricAlarms?.[0]?.StateValue).toBe('ALARM');
    retrying.destroy();
  });

  it('refuses a request signed with an unknown key, in the JSON error shape', async () => {
    const stranger = new CloudWatchClient({ region: 'eu-west-1', endpoint: standIn.url, credentials: { accessKeyId: 'AKIASTRANGER', secretAccessKey: 'x' }, maxAttempts: 1 });
    const err = (await stranger.send(new DescribeAlarmsCommand({})).catch((e: unknown) => e)) as Record<string, unknown> & { $metadata: { httpStatusCode: number } };
    expect(err).toMatchObject({ name: 'UnrecognizedClientException', Code: 'UnrecognizedClientException' });
    expect(err.$metadata.httpStatusCode).toBe(403);
    stranger.destroy();
  });
});
