/**
 * The `cloudwatch` signal source: an alarm's state (DescribeAlarms) or the newest datapoint of a
 * metric or metric-math expression (GetMetricData), through the official SDK. It never throws:
 * INSUFFICIENT_DATA, a missing alarm, no datapoint, AWS errors (with their code and request id),
 * timeouts and cancellations are `unknown` readings, because unknown is unhealthy.
 *
 * The SDK is loaded on the first sample, so a bot without CloudWatch checks never loads it.
 */
import type * as CloudWatchSdk from '@aws-sdk/client-cloudwatch';
import type { AdapterDeps, Reading, SampleContext, SignalSource } from '../../../core/ports.js';
import type { SignalQuery } from '../../../core/playbook.js';
import { errorText } from '../../../core/errors.js';
import { cloudwatchSignalSchema, describeCloudWatchQuery, type CloudWatchSignalConfig, type CloudWatchSignalQuery } from './schema.js';
import { alarmReading, metricDataQueries, metricReading, timeRange, type AlarmPage, type MetricPage } from './readings.js';

type Sdk = typeof CloudWatchSdk;

/** What tests (or an embedding program) may hand the client besides the config: never from a file. */
export interface CloudWatchClientOptions {
  credentials?: CloudWatchSdk.CloudWatchClientConfig['credentials'];
}

/** Pages followed at most per sample (DescribeAlarms by one name, GetMetricData of one result). */
const MAX_PAGES = 10;

/** An AWS error in one line: code, HTTP status, request id, message; never a stack. */
export function awsErrorText(err: unknown): string {
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string }; RequestId?: string };
  const code = e.Code ?? e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const requestId = e.$metadata?.requestId ?? e.RequestId;
  const message = (e.message ?? errorText(err)).split('\n')[0]!.slice(0, 300);
  const meta = [status ? `HTTP ${status}` : '', requestId ? `request id ${requestId}` : ''].filter(Boolean).join(', ');
  return `${code}${meta ? ` (${meta})` : ''}${message && message !== code ? `: ${message}` : ''}`;
}

export function createCloudWatchSource(config: CloudWatchSignalConfig, deps: AdapterDeps, options: CloudWatchClientOptions = {}): SignalSource {
  let sdk: Promise<Sdk> | undefined;
  const clients = new Map<string, CloudWatchSdk.CloudWatchClient>();

  async function clientFor(region: string | undefined): Promise<{ sdk: Sdk; client: CloudWatchSdk.CloudWatchClient }> {
    const loaded = await (sdk ??= import('@aws-sdk/client-cloudwatch'));
    const key = region ?? '';
    let client = clients.get(key);
    if (!client) {
      client = new loaded.CloudWatchClient({
        ...(region ? { region } : {}),
        ...(config.profile ? { profile: config.profile } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        retryMode: 'standard',
        maxAttempts: config.maxAttempts,
        requestHandler: { requestTimeout: config.requestTimeout, connectionTimeout: config.requestTimeout },
      });
      clients.set(key, client);
    }
    return { sdk: loaded, client };
  }

  async function sample(q: CloudWatchSignalQuery, ctx: SampleContext, signal: AbortSignal): Promise<Reading> {
    const now = ctx.now();
    const { sdk: cw, client } = await clientFor(q.region ?? config.region);
    const region = await client.config.region().catch(() => q.region ?? config.region ?? '(no region)');
    if (q.alarm !== undefined) {
      const pages: AlarmPage[] = [];
      let NextToken: string | undefined;
      do {
        const out = await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: [q.alarm], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], ...(NextToken ? { NextToken } : {}) }), { abortSignal: signal });
        pages.push(out);
        NextToken = out.NextToken;
      } while (NextToken && pages.length < MAX_PAGES && !pages.some((p) => (p.MetricAlarms?.length ?? 0) + (p.CompositeAlarms?.length ?? 0) > 0));
      return alarmReading(q.alarm, region, pages, ctx.now());
    }
    const { start, end } = timeRange(q, now);
    const pages: MetricPage[] = [];
    let NextToken: string | undefined;
    do {
      const out = await client.send(
        new cw.GetMetricDataCommand({
          MetricDataQueries: metricDataQueries(q),
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampDescending',
          ...(NextToken ? { NextToken } : {}),
        }),
        { abortSignal: signal },
      );
      pages.push(out);
      NextToken = out.NextToken;
      // Newest first: once the result has a value, later pages only hold older ones.
    } while (NextToken && pages.length < MAX_PAGES && !pages.some((p) => p.MetricDataResults?.some((r) => r.Id === 'value' && (r.Values?.length ?? 0) > 0)));
    return metricReading(q, region, pages, ctx.now());
  }

  function failure(err: unknown, q: CloudWatchSignalQuery, timeout: AbortSignal, timeoutMs: number, ctx: SampleContext): Reading {
    const at = ctx.now();
    const op = q.alarm !== undefined ? 'DescribeAlarms' : 'GetMetricData';
    const name = (err as { name?: string }).name;
    if (timeout.aborted) return { status: 'unknown', reason: `CloudWatch ${op} gave no answer within ${timeoutMs} ms`, at };
    if (ctx.signal?.aborted) return { status: 'unknown', reason: `CloudWatch ${op} was cancelled`, at };
    if (name === 'TimeoutError' || name === 'RequestTimeout') return { status: 'unknown', reason: `CloudWatch ${op} timed out after ${config.requestTimeout} ms`, at };
    if (name === 'CredentialsProviderError') return { status: 'unknown', reason: `no AWS credentials for CloudWatch: ${errorText(err).split('\n')[0]}`, at };
    if (/region is missing/i.test(errorText(err))) return { status: 'unknown', reason: 'no AWS region for CloudWatch: set AWS_REGION or adapters.signals.cloudwatch.region', at };
    if ((err as { $metadata?: unknown }).$metadata !== undefined) return { status: 'unknown', reason: `CloudWatch ${op} failed: ${awsErrorText(err)}`, at };
    const cause = (err as { code?: string }).code;
    return { status: 'unknown', reason: `CloudWatch ${op} failed: ${errorText(err).split('\n')[0]}${cause ? ` (${cause})` : ''}`, at };
  }

  return {
    kind: 'cloudwatch',
    schema: cloudwatchSignalSchema,
    describe: (q: SignalQuery) => describeCloudWatchQuery(q as Partial<CloudWatchSignalQuery>),
    async sample(raw: SignalQuery, ctx: SampleContext): Promise<Reading> {
      const q = asQuery(raw);
      if (typeof q === 'string') return { status: 'unknown', reason: `invalid cloudwatch signal: ${q}`, at: ctx.now() };
      const timeoutMs = ctx.timeoutMs > 0 ? Math.min(config.requestTimeout, ctx.timeoutMs) : config.requestTimeout;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
      try {
        // The SDK does not always notice an abort while it waits (credentials, retry backoff): race it.
        return await Promise.race([sample(q, ctx, signal), whenAborted(signal)]);
      } catch (err) {
        deps.log.debug({ source: 'cloudwatch', error: errorText(err).split('\n')[0] }, 'cloudwatch sample failed');
        return failure(err, q, timeout, timeoutMs, ctx);
      }
    },
  };
}

/**
 * The query as the playbook loader parsed it (durations already in ms), or, when it comes as written
 * (durations as text), parsed here; the schema's transforms do not run twice.
 */
function asQuery(raw: SignalQuery): CloudWatchSignalQuery | string {
  const r = raw as Partial<CloudWatchSignalQuery> & Record<string, unknown>;
  const durations = [r.window, r.period, r.metric?.period, ...Object.values(r.metrics ?? {}).map((m) => m.period)];
  const parsedAlready = durations.every((d) => d === undefined || typeof d === 'number') && (r.metric === undefined || r.metric.dimensions !== undefined);
  const forms = [r.alarm, r.metric, r.expression].filter((f) => f !== undefined).length;
  if (parsedAlready && forms === 1) return r as CloudWatchSignalQuery;
  const parsed = cloudwatchSignalSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return `${issue?.path.join('.') || 'query'} ${issue?.message ?? ''}`.trim();
}

function whenAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
