/**
 * CloudWatch behind the AWS stand-in, in the protocol @aws-sdk/client-cloudwatch 3.1178 sends:
 * AWS JSON 1.0 (`POST /`, content-type application/x-amz-json-1.0,
 * `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, timestamps as epoch seconds), with the
 * service's query compatibility (`x-amzn-query-mode: true`). Errors are `{"__type", "message"}`
 * with status and `x-amzn-requestid`; in query mode also `x-amzn-query-error: <Code>;<Sender|Receiver>`,
 * from which the SDK takes the error's `Code` (and `name` for unmodelled errors such as Throttling,
 * which its standard retry mode then retries).
 */
import type { AwsRequest, AwsResponse, AwsService, AwsStandIn } from './aws-standin.js';
import { evaluateExpression, type CloudWatchWorld, type Datapoint, type WorldAlarm } from './cloudwatch-world.js';

export type { AlarmState, CloudWatchWorld, Datapoint, WorldAlarm, WorldSeries } from './cloudwatch-world.js';

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const JSON_TYPE = 'application/x-amz-json-1.0';

/** Query-protocol codes of modelled errors and the shape the JSON `__type` names. */
const MODELLED: Record<string, string> = {
  InvalidNextToken: 'InvalidNextToken',
  InvalidParameterValue: 'InvalidParameterValueException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  MissingParameter: 'MissingRequiredParameterException',
  ResourceNotFound: 'ResourceNotFound',
  InternalServiceError: 'InternalServiceFault',
  LimitExceeded: 'LimitExceededFault',
  ValidationError: 'ValidationException',
};

function typeOf(code: string): string {
  if (MODELLED[code]) return `com.amazonaws.cloudwatch#${MODELLED[code]}`;
  if (code === 'Throttling') return 'com.amazon.coral.availability#ThrottlingException';
  return `com.amazon.coral.service#${code}`;
}

/** What one request asked, as the service parsed it (for tests to read). */
export interface ReceivedCall {
  action: string;
  input: Record<string, unknown>;
  queryMode: boolean;
}

export interface CloudWatchStandIn {
  world: CloudWatchWorld;
  received: ReceivedCall[];
  /** Changes an alarm's state (adds the alarm when missing). */
  setAlarm(name: string, state: WorldAlarm['state'], reason?: string): void;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const seconds = (ms: number) => ms / 1000;
const sameDims = (a: Record<string, string> = {}, b: Array<{ Name?: string; Value?: string }> = []) =>
  Object.keys(a).length === b.length && b.every((d) => d.Name !== undefined && a[d.Name] === d.Value);

function page<T>(items: T[], size: number, token: unknown, prefix: string): { items: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    const m = typeof token === 'string' ? new RegExp(`^${prefix}-(\\d+)$`).exec(token) : null;
    if (!m || Number(m[1]) > items.length) throw new Refusal(400, 'InvalidNextToken', 'The service couldn\'t process the NextToken.');
    offset = Number(m[1]);
  }
  const slice = items.slice(offset, offset + size);
  return offset + size < items.length ? { items: slice, next: `${prefix}-${offset + size}` } : { items: slice };
}

export function registerCloudWatch(standIn: AwsStandIn, world: CloudWatchWorld): CloudWatchStandIn {
  const account = world.account ?? '123456789012';
  const registeredAt = Date.now();
  const received: ReceivedCall[] = [];

  const alarmJson = (a: WorldAlarm, region: string) => {
    const common = {
      AlarmName: a.name,
      AlarmArn: `arn:aws:cloudwatch:${region}:${account}:alarm:${a.name}`,
      StateValue: a.state,
      StateReason: a.reason ?? (a.state === 'INSUFFICIENT_DATA' ? 'Unchecked: Initial alarm creation' : `Threshold ${a.state === 'ALARM' ? 'Crossed' : 'not crossed'}`),
      StateUpdatedTimestamp: seconds(a.updatedAt ?? registeredAt),
      ActionsEnabled: true,
      AlarmActions: [],
      OKActions: [],
      InsufficientDataActions: [],
    };
    if (a.type === 'composite') return { ...common, AlarmRule: 'ALARM(child)' };
    return {
      ...common,
      Namespace: a.namespace ?? 'AWS/ApplicationELB',
      MetricName: a.metricName ?? 'HTTPCode_Target_5XX_Count',
      Dimensions: Object.entries(a.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    };
  };

  function describeAlarms(input: Record<string, unknown>, region: string) {
    const names = input.AlarmNames as string[] | undefined;
    const prefix = input.AlarmNamePrefix as string | undefined;
    if (names && prefix) throw new Refusal(400, 'InvalidParameterCombination', 'AlarmNames and AlarmNamePrefix cannot be used together.');
    if (names && names.length > 100) throw new Refusal(400, 'InvalidParameterValue', 'The collection AlarmNames must not have a size greater than 100.');
    const max = (input.MaxRecords as number | undefined) ?? world.pageSize?.alarms ?? 50;
    if (max < 1 || max > 100) throw new Refusal(400, 'InvalidParameterValue', 'The value for MaxRecords must be between 1 and 100.');
    const types = (input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
    const picked = world.alarms
      .filter((a) => (names ? names.includes(a.name) : prefix ? a.name.startsWith(prefix) : true))
      .filter((a) => input.StateValue === undefined || a.state === input.StateValue)
      .filter((a) => types.includes(a.type === 'composite' ? 'CompositeAlarm' : 'MetricAlarm'))
      .sort((a, b) => (a.type === 'composite' ? 1 : 0) - (b.type === 'composite' ? 1 : 0) || a.name.localeCompare(b.name));
    const { items, next } = page(picked, max, input.NextToken, 'alarms');
    return {
      MetricAlarms: items.filter((a) => a.type !== 'composite').map((a) => alarmJson(a, region)),
      CompositeAlarms: items.filter((a) => a.type === 'composite').map((a) => alarmJson(a, region)),
      ...(next ? { NextToken: next } : {}),
    };
  }

  function metricPoints(stat: Record<string, unknown>, start: number, end: number): Datapoint[] {
    const metric = (stat.Metric ?? {}) as { Namespace?: string; MetricName?: string; Dimensions?: Array<{ Name?: string; Value?: string }> };
    const period = stat.Period as number | undefined;
    if (!metric.Namespace || !metric.MetricName || !stat.Stat) throw new Refusal(400, 'MissingParameter', 'MetricStat needs Metric.Namespace, Metric.MetricName and Stat.');
    if (!period || !([1, 5, 10, 30].includes(period) || period % 60 === 0)) throw new Refusal(400, 'InvalidParameterValue', 'The parameter Period must be 1, 5, 10, 30 or a multiple of 60.');
    const series = world.series.find(
      (s) => s.namespace === metric.Namespace && s.name === metric.MetricName && sameDims(s.dimensions, metric.Dimensions) && (s.stat === undefined || s.stat === stat.Stat),
    );
    return (series?.points ?? []).filter((p) => p.at >= start && p.at < end);
  }

  function getMetricData(input: Record<string, unknown>) {
    const queries = input.MetricDataQueries as Array<Record<string, unknown>> | undefined;
    if (!queries || queries.length === 0) throw new Refusal(400, 'MissingParameter', 'The parameter MetricDataQueries is required.');
    if (queries.length > 500) throw new Refusal(400, 'ValidationError', 'The collection MetricDataQueries must not have a size greater than 500.');
    const start = (input.StartTime as number) * 1000;
    const end = (input.EndTime as number) * 1000;
    if (!(start < end)) throw new Refusal(400, 'ValidationError', 'The parameter StartTime must be less than the parameter EndTime.');
    const values = new Map<string, Datapoint[]>();
    const messages = new Map<string, Array<{ Code: string; Value: string }>>();
    for (const q of queries) {
      const id = q.Id as string;
      if (typeof id !== 'string' || !/^[a-z][a-zA-Z0-9_]*$/.test(id)) throw new Refusal(400, 'ValidationError', `The value ${String(id)} for parameter MetricDataQueries.member.Id is invalid.`);
      if ((q.MetricStat === undefined) === (q.Expression === undefined)) throw new Refusal(400, 'ValidationError', `Exactly one of MetricStat and Expression must be set in ${id}.`);
      if (q.MetricStat) values.set(id, metricPoints(q.MetricStat as Record<string, unknown>, start, end));
    }
    for (const q of queries.filter((x) => x.Expression !== undefined)) {
      const text = q.Expression as string;
      const canned = world.expressions?.[text];
      const points = canned ? canned.filter((p) => p.at >= start && p.at < end) : evaluateExpression(text, values);
      if (typeof points === 'string') throw new Refusal(400, 'ValidationError', `Error in expression '${q.Id as string}': ${points}`);
      values.set(q.Id as string, points);
      if (!canned && points.length === 0) messages.set(q.Id as string, []);
    }
    const ascending = input.ScanBy === 'TimestampAscending';
    const returned = queries.filter((q) => q.ReturnData !== false);
    const flat = returned.flatMap((q) =>
      [...values.get(q.Id as string)!].sort((a, b) => (ascending ? a.at - b.at : b.at - a.at)).map((p) => ({ id: q.Id as string, p })),
    );
    const size = Math.min((input.MaxDatapoints as number | undefined) ?? 100_800, world.pageSize?.datapoints ?? 100_800);
    const { items, next } = page(flat, size, input.NextToken, 'datapoints');
    return {
      MetricDataResults: returned.map((q) => {
        const mine = items.filter((x) => x.id === q.Id);
        return {
          Id: q.Id,
          Label: (q.Label as string | undefined) ?? (q.Expression as string | undefined) ?? ((q.MetricStat as { Metric?: { MetricName?: string } }).Metric?.MetricName ?? q.Id),
          Timestamps: mine.map((x) => seconds(x.p.at)),
          Values: mine.map((x) => x.p.value),
          StatusCode: next ? 'PartialData' : 'Complete',
          Messages: messages.get(q.Id as string) ?? [],
        };
      }),
      Messages: [],
      ...(next ? { NextToken: next } : {}),
    };
  }

  const service: AwsService = {
    error(status, code, message, requestId): AwsResponse {
      return {
        status,
        headers: {
          'content-type': JSON_TYPE,
          'x-amzn-requestid': requestId,
          'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}`,
        },
        body: JSON.stringify({ __type: typeOf(code), message }),
      };
    },
    async handle(req: AwsRequest): Promise<AwsResponse> {
      const queryMode = req.headers['x-amzn-query-mode'] === 'true';
      const fail = (status: number, code: string, message: string): AwsResponse => {
        const r = service.error(status, code, message, req.requestId);
        if (!queryMode) delete r.headers!['x-amzn-query-error'];
        return r;
      };
      const target = req.headers['x-amz-target'] ?? '';
      if (req.method !== 'POST' || req.path !== '/' || !target.startsWith(TARGET_PREFIX) || !(req.headers['content-type'] ?? '').startsWith(JSON_TYPE)) {
        return fail(400, 'UnknownOperationException', `expected POST / with ${JSON_TYPE} and X-Amz-Target ${TARGET_PREFIX}<Operation>`);
      }
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(req.body || '{}') as Record<string, unknown>;
      } catch {
        return fail(400, 'SerializationException', 'the body is not JSON');
      }
      received.push({ action: req.action, input, queryMode });
      const delay = world.delayMs?.[req.action as 'DescribeAlarms'];
      if (delay === Infinity) return new Promise<AwsResponse>(() => {});
      if (delay) await new Promise((r) => setTimeout(r, delay));
      const i = (world.failNext ?? []).findIndex((f) => f.action === undefined || f.action === req.action);
      if (i >= 0) {
        const [f] = world.failNext!.splice(i, 1);
        return fail(f!.status, f!.code, f!.message);
      }
      try {
        let out: unknown;
        if (req.action === 'DescribeAlarms') out = describeAlarms(input, req.region);
        else if (req.action === 'GetMetricData') out = getMetricData(input);
        else return fail(400, 'UnknownOperationException', `the stand-in does not implement ${req.action}`);
        return { status: 200, headers: { 'content-type': JSON_TYPE, 'x-amzn-requestid': req.requestId }, body: JSON.stringify(out) };
      } catch (err) {
        if (err instanceof Refusal) return fail(err.status, err.code, err.message);
        throw err;
      }
    },
  };
  standIn.register('monitoring', service);

  return {
    world,
    received,
    setAlarm(name, state, reason) {
      const found = world.alarms.find((a) => a.name === name);
      if (found) Object.assign(found, { state, updatedAt: Date.now(), ...(reason ? { reason } : { reason: undefined }) });
      else world.alarms.push({ name, state, updatedAt: Date.now(), ...(reason ? { reason } : {}) });
    },
  };
}
