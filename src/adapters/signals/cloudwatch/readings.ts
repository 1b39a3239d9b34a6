/**
 * How CloudWatch's answers become readings, without the SDK: the request a query makes and what
 * its pages mean. Kept apart from source.ts so that loading it never loads the client.
 */
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import { formatDuration } from '../../../core/duration.js';
import type { Reading } from '../../../core/ports.js';
import { periodOf, windowOf, type CloudWatchMetric, type CloudWatchSignalQuery } from './schema.js';

/** The value an alarm state reads as: a guardrail on an alarm is `comparison: '>='`, `threshold: 1`. */
export const ALARM_VALUE = { ALARM: 1, OK: 0 } as const;

interface AlarmLike {
  AlarmName?: string | undefined;
  StateValue?: string | undefined;
  StateReason?: string | undefined;
}
export interface AlarmPage {
  MetricAlarms?: AlarmLike[] | undefined;
  CompositeAlarms?: AlarmLike[] | undefined;
}

interface ResultLike {
  Id?: string | undefined;
  Label?: string | undefined;
  Timestamps?: Date[] | undefined;
  Values?: number[] | undefined;
  StatusCode?: string | undefined;
  Messages?: Array<{ Code?: string | undefined; Value?: string | undefined }> | undefined;
}
export interface MetricPage {
  MetricDataResults?: ResultLike[] | undefined;
  Messages?: Array<{ Code?: string | undefined; Value?: string | undefined }> | undefined;
}

const oneLine = (s: string | undefined, max = 200) => (s ?? '').replace(/\s+/g, ' ').trim().slice(0, max);

/** The alarm's state as a reading: ALARM 1, OK 0; INSUFFICIENT_DATA and a missing alarm are unknown. */
export function alarmReading(name: string, region: string, pages: readonly AlarmPage[], at: number): Reading {
  const all = pages.flatMap((p) => [...(p.MetricAlarms ?? []), ...(p.CompositeAlarms ?? [])]);
  const alarm = all.find((a) => a.AlarmName === name);
  if (!alarm) return { status: 'unknown', reason: `no alarm named "${name}" in ${region} (neither a metric nor a composite alarm): check the name and the region`, at };
  const why = oneLine(alarm.StateReason);
  switch (alarm.StateValue) {
    case 'ALARM':
      return { status: 'ok', value: ALARM_VALUE.ALARM, at };
    case 'OK':
      return { status: 'ok', value: ALARM_VALUE.OK, at };
    case 'INSUFFICIENT_DATA':
      return { status: 'unknown', reason: `alarm ${name} is INSUFFICIENT_DATA${why ? `: ${why}` : ''}`, at };
    default:
      return { status: 'unknown', reason: `alarm ${name} is in state ${String(alarm.StateValue)}, neither ALARM nor OK`, at };
  }
}

/**
 * The time range read: whole periods only. The period still filling up is left out, so a Sum is
 * never read from part of a minute; the start lies `window` before the end, on a period boundary.
 */
export function timeRange(q: CloudWatchSignalQuery, now: number): { start: number; end: number } {
  const period = periodOf(q);
  const end = Math.floor(now / period) * period;
  const start = Math.floor((end - windowOf(q)) / period) * period;
  return { start, end };
}

function metricStat(m: CloudWatchMetric, period: number) {
  return {
    Metric: { Namespace: m.namespace, MetricName: m.name, Dimensions: Object.entries(m.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })) },
    Period: period / 1000,
    Stat: m.stat,
    ...(m.unit ? { Unit: m.unit as StandardUnit } : {}),
  };
}

/** The MetricDataQueries of a metric or expression query; the answer is always the one with id `value`. */
export function metricDataQueries(q: CloudWatchSignalQuery) {
  const period = periodOf(q);
  if (q.metric) return [{ Id: 'value', MetricStat: metricStat(q.metric, period), ReturnData: true }];
  return [
    ...Object.entries(q.metrics ?? {}).map(([Id, m]) => ({ Id, MetricStat: metricStat(m, m.period ?? period), ReturnData: false })),
    { Id: 'value', Expression: q.expression!, Period: period / 1000, ReturnData: true },
  ];
}

const messagesText = (list: ResultLike['Messages']) =>
  (list ?? [])
    .map((m) => oneLine(`${m.Code ?? ''}${m.Code && m.Value ? ': ' : ''}${m.Value ?? ''}`))
    .filter(Boolean)
    .join('; ');

/** The newest datapoint of the result (id `value`) across the pages; none is unknown. */
export function metricReading(q: CloudWatchSignalQuery, region: string, pages: readonly MetricPage[], at: number): Reading {
  const results = pages.flatMap((p) => (p.MetricDataResults ?? []).filter((r) => r.Id === 'value'));
  const notes = [...pages.map((p) => messagesText(p.Messages)), ...results.map((r) => messagesText(r.Messages))].filter(Boolean).join('; ');
  const failed = results.find((r) => r.StatusCode === 'InternalError' || r.StatusCode === 'Forbidden');
  if (failed) return { status: 'unknown', reason: `CloudWatch answered ${failed.StatusCode}${notes ? `: ${notes}` : ''}`, at };
  let newest: { t: number; v: number } | undefined;
  for (const r of results) {
    (r.Values ?? []).forEach((v, i) => {
      const t = r.Timestamps?.[i]?.getTime() ?? -Infinity;
      if (!newest || t > newest.t) newest = { t, v };
    });
  }
  if (!newest) {
    const what = q.metric ? `${q.metric.namespace} ${q.metric.name}` : 'the expression';
    return { status: 'unknown', reason: `no datapoint for ${what} in the last ${formatDuration(windowOf(q))} in ${region}${notes ? ` (${notes})` : ''}`, at };
  }
  if (!Number.isFinite(newest.v)) return { status: 'unknown', reason: `the newest datapoint is ${newest.v}, not a finite number`, at };
  return { status: 'ok', value: newest.v, at };
}
