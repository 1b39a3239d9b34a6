import { basename } from 'node:path';
import { SYSTEM } from '../../core/actor.js';
import { formatDuration } from '../../core/duration.js';
import type { ExperimentRecord } from '../../core/experiment.js';
import { targetLine } from '../../core/experiment-card.js';
import type { Experiment } from '../../core/playbook.js';
import { chronological, eventsOf, type CheckResultData, type PostmortemEvent } from './postmortem-events.js';
import { actorNamer, cell, compactJson, fmtValue, isoUtc, relTime } from '../report-format.js';
import { summarize, VERDICT_MEANING } from './postmortem-summary.js';
import { buildTimeline, type TimelineEntry } from './postmortem-timeline.js';
import { gameDayReportPath } from '../gameday/gameday-report-path.js';
import { runChartData, signalChartFileName } from '../charts/signal-chart.js';

export type { PostmortemEvent } from './postmortem-events.js';
export type { TimelineEntry } from './postmortem-timeline.js';

export interface PostmortemInput {
  record: ExperimentRecord;
  spec: Experiment;
  events: PostmortemEvent[];
  draftedAt: number;
  channel?: string;
  /** A link to the card's thread (Slack's chat.getPermalink), where the chat has one. */
  threadUrl?: string;
  /** Folder of the game-day reports (the post-mortem folder); used when the record is a game-day step. */
  gameDayReportDir?: string;
}

/** `C0123` linked to its archive page when the thread's permalink (`…/archives/C0123/p…`) shows where that is. */
function channelCell(channel: string, threadUrl: string | undefined): string {
  const archive = threadUrl?.match(/^(https:\/\/[^\s()]+\/archives\/[A-Z0-9]+)\/p\d+/)?.[1];
  return archive ? `[${channel}](${archive})` : channel;
}

export interface Moment {
  time: string;
  rel: string;
}
export interface CheckRow {
  name: string;
  result: 'pass' | 'FAIL';
  value: string;
  detail: string;
}
export interface CheckSet extends Moment {
  recorded: boolean;
  passed: boolean;
  rows: CheckRow[];
}
export interface GuardrailRow {
  name: string;
  rule: string;
  samples: number;
  unknown: number;
  min: string;
  max: string;
  last: string;
  worst: string;
}
export interface PersonRow extends Moment {
  role: string;
  who: string;
  note: string;
}
export interface BreachRow extends Moment {
  guardrail: string;
  status: 'breach' | 'blind';
  detail: string;
}
export interface RevertRow {
  handleId: string;
  fault: string;
  adapter: string;
  targets: string;
  injected: string;
  expires: string;
  reason: string;
  outcome: string;
}

/** Plain, pre-formatted data for the template: every field is present (null when absent), so strict mode can catch typos. */
export interface PostmortemView {
  id: string;
  name: string;
  title: string;
  owner: string;
  /** The channel, linked when the thread's link says where it is. */
  channel: string;
  /** A Markdown link to the experiment's thread, or a note that there is none. */
  thread: string;
  draftedAt: string;
  state: string;
  verdict: string;
  verdictMeaning: string;
  summary: string;
  hypothesis: string;
  planHash: string;
  origin: { label: string; time: string };
  people: PersonRow[];
  /** `target`: cluster, namespace, kind and which ones, as the card shows them. */
  blastRadius: { radius: string; adapter: string; target: string; selector: string; candidates: number; selected: number };
  targets: Array<{ id: string; name: string; kind: string; attributes: string }>;
  fault: { type: string; parameters: string; duration: string; actual: string | null };
  timeline: TimelineEntry[];
  before: CheckSet;
  during: { recorded: boolean; samples: number; from: string | null; to: string | null; guardrails: GuardrailRow[] };
  after: CheckSet;
  breaches: BreachRow[];
  injected: boolean;
  reverts: RevertRow[];
  revertSummary: string;
  abort: (Moment & { by: string; code: string; reason: string }) | null;
  failure: string | null;
  rollback: string | null;
  alerts: { expected: string[]; pagerduty: string[]; incidents: IncidentRow[] };
  /** Set when the run was one step of a game day: the step (1-based) and where the game-day report is. */
  gameDay: { id: string; step: number; report: string; link: string } | null;
  /** The PNG of every guardrail and steady-state signal beside the draft (`link` is relative), or null when nothing was sampled. */
  chart: { file: string; link: string; signals: number } | null;
}

const moment = (at: number, origin: number): Moment => ({ time: isoUtc(at), rel: relTime(at, origin) });

function checkSet(found: { event: PostmortemEvent; data: { results: CheckResultData[] } } | undefined, origin: number): CheckSet {
  if (!found) return { recorded: false, passed: false, rows: [], time: '', rel: '' };
  const rows = found.data.results.map((r) => ({ name: cell(r.name), result: r.passed ? ('pass' as const) : ('FAIL' as const), value: fmtValue(r.value), detail: cell(r.detail) }));
  return { recorded: true, passed: found.data.results.every((r) => r.passed), rows, ...moment(found.event.at, origin) };
}

const STATUS_RANK: Record<string, number> = { ok: 0, pending: 1, blind: 2, breach: 3 };

function guardrailRows(record: ExperimentRecord, spec: Experiment, readings: ReturnType<typeof eventsOf<'reading'>>): GuardrailRow[] {
  const rules = record.plan.guardrails.length > 0 ? record.plan.guardrails : spec.guardrails.map((g) => ({ name: g.name, comparison: g.comparison, threshold: g.threshold, forMs: g.for }));
  const names = [...rules.map((r) => r.name)];
  for (const { data } of readings) for (const r of data.results) if (!names.includes(r.name)) names.push(r.name);
  return names.map((name) => {
    const rule = rules.find((r) => r.name === name);
    const results = readings.flatMap(({ data }) => data.results.filter((r) => r.name === name));
    const values = results.map((r) => r.value).filter((v): v is number => typeof v === 'number');
    const worst = results.reduce<string>((w, r) => ((STATUS_RANK[r.status] ?? 0) > (STATUS_RANK[w] ?? 0) ? r.status : w), results.length ? 'ok' : '—');
    return {
      name: cell(name),
      rule: rule ? `${rule.comparison} ${fmtValue(rule.threshold)}${rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : ''}` : '—',
      samples: results.length,
      unknown: results.length - values.length,
      min: values.length ? fmtValue(Math.min(...values)) : '—',
      max: values.length ? fmtValue(Math.max(...values)) : '—',
      last: fmtValue(values.at(-1)),
      worst,
    };
  });
}

function reverts(events: readonly PostmortemEvent[], origin: number, targetName: (id: string) => string): RevertRow[] {
  return eventsOf(events, 'inject-intent').map(({ data }) => {
    const mine = (e: { data: { handleId?: string | null } }) => e.data.handleId === data.handleId;
    const injected = eventsOf(events, 'injected').find(mine);
    const failedInject = eventsOf(events, 'inject-failed').find(mine);
    const started = eventsOf(events, 'revert-started').find(mine);
    const done = eventsOf(events, 'reverted').find(mine) ?? eventsOf(events, 'reconcile-revert').find(mine);
    const failed = eventsOf(events, 'revert-failed').find((e) => mine(e) || !e.data.handleId);
    const confirmed = eventsOf(events, 'revert-confirmed').find(mine);
    const unconfirmed = eventsOf(events, 'revert-unconfirmed').find(mine);
    const receipt = unconfirmed ? `; revert NOT confirmed: ${unconfirmed.data.differences.join('; ')}` : confirmed ? ', reverted and confirmed' : '';
    let outcome: string;
    if (done) outcome = `reverted at ${isoUtc(done.event.at)} (${relTime(done.event.at, origin)})${done.event.kind === 'reconcile-revert' ? ' by reconcile' : ''}${receipt}`;
    else if (failed) outcome = `REVERT FAILED at ${isoUtc(failed.event.at)}: ${failed.data.error}; undo by hand`;
    else if (failedInject && !started) outcome = `injection failed (${failedInject.data.error}); no revert recorded`;
    else outcome = `no revert recorded; the fault expires by itself at ${isoUtc(data.expiresAt)}, verify`;
    return {
      handleId: data.handleId,
      fault: data.faultType,
      adapter: data.adapter,
      targets: data.targets.map(targetName).join(', ') || '—',
      injected: injected ? `${isoUtc(injected.event.at)} (${relTime(injected.event.at, origin)})` : failedInject ? `failed: ${failedInject.data.error}` : 'not confirmed',
      expires: isoUtc(data.expiresAt),
      reason: started?.data.reason || '—',
      outcome: cell(outcome),
    };
  });
}

/** Everything the post-mortem template shows, computed from the record, the playbook and the journal. */
export function buildPostmortemView(input: PostmortemInput): PostmortemView {
  const { record, spec } = input;
  const events = chronological(input.events.filter((e) => e.experimentId === null || e.experimentId === record.id));
  const actor = actorNamer(record);
  const names = new Map(record.plan.targets.map((t) => [t.id, t.name]));
  for (const { data } of eventsOf(events, 'proposed')) for (const t of data.targets) if (!names.has(t.id)) names.set(t.id, t.name);
  const targetName = (id: string) => names.get(id) ?? id;

  const injectedAt = record.injectedAt ?? eventsOf(events, 'injected')[0]?.event.at ?? null;
  const origin =
    injectedAt !== null
      ? { label: 'injection', at: injectedAt }
      : record.startedAt !== null
        ? { label: 'start (no injection was confirmed)', at: record.startedAt }
        : { label: 'proposal (the experiment never started)', at: record.proposedAt };

  const readings = eventsOf(events, 'reading');
  const breachEvents = eventsOf(events, 'breach');
  const breaches = breachEvents.map(({ event, data }) => ({ guardrail: cell(data.guardrail), status: data.status, detail: cell(data.detail), ...moment(event.at, origin.at) }));
  const before = checkSet(eventsOf(events, 'precheck')[0], origin.at);
  const after = checkSet(eventsOf(events, 'postcheck').at(-1), origin.at);
  const revertRows = reverts(events, origin.at, targetName);
  const revertFailed = eventsOf(events, 'revert-failed').length > 0;

  const people: PersonRow[] = [{ role: 'Proposed', who: actor(record.proposedBy.id), note: '', ...moment(record.proposedAt, origin.at) }];
  if (record.approval) people.push({ role: 'Approved', who: actor(record.approval.by.id), note: `plan ${record.approval.planHash.slice(0, 12)}`, ...moment(record.approval.at, origin.at) });
  if (record.startedBy && record.startedAt !== null) people.push({ role: 'Started', who: actor(record.startedBy.id), note: '', ...moment(record.startedAt, origin.at) });
  if (record.abort) {
    const auto = record.abort.by.id === SYSTEM.id;
    people.push({ role: auto ? 'Aborted (automatic)' : 'Aborted', who: actor(record.abort.by.id), note: `${record.abort.code}: ${cell(record.abort.reason)}`, ...moment(record.abort.at, origin.at) });
  }
  if (record.closedBy && !record.abort) people.push({ role: record.state === 'rejected' ? 'Rejected' : 'Closed', who: actor(record.closedBy.by.id), note: cell(record.closedBy.reason), ...moment(record.closedBy.at, origin.at) });

  const revertedAt = eventsOf(events, 'reverted').at(-1)?.event.at ?? null;
  const firstBreach = breaches[0] ?? null;
  return {
    id: record.id,
    name: record.name,
    title: spec.title ?? spec.name,
    owner: spec.owner,
    channel: channelCell(input.channel ?? record.channel, input.threadUrl),
    thread: input.threadUrl ? `[the experiment's thread](${input.threadUrl})` : '(no link: the chat has none, or the card was never posted)',
    draftedAt: isoUtc(input.draftedAt),
    state: record.phase ? `${record.state}/${record.phase}` : record.state,
    verdict: record.verdict ?? 'none',
    verdictMeaning: VERDICT_MEANING[record.verdict ?? 'none'],
    summary: summarize({ record, firstBreach, injected: injectedAt !== null, revertFailed, postcheckPassed: after.recorded ? after.passed : null }),
    hypothesis: spec.hypothesis.trim().replace(/\s*\r?\n\s*/g, ' '),
    planHash: record.planHash.slice(0, 12),
    origin: { label: origin.label, time: isoUtc(origin.at) },
    people,
    blastRadius: {
      radius: record.plan.blastRadius,
      adapter: record.plan.adapter,
      target: targetLine(record.plan),
      selector: Object.entries(record.plan.selector).map(([k, v]) => `${k}=${v}`).join(', ') || '(everything the adapter offers)',
      candidates: record.plan.candidates,
      selected: record.plan.targets.length,
    },
    targets: record.plan.targets.map((t) => ({ id: cell(t.id), name: cell(t.name), kind: cell(t.kind), attributes: cell(Object.entries(t.attributes).map(([k, v]) => `${k}=${v}`).join(', ')) })),
    fault: {
      type: record.plan.fault.type,
      parameters: compactJson(record.plan.fault.parameters) || 'none',
      duration: formatDuration(record.plan.durationMs),
      actual: injectedAt !== null && revertedAt !== null ? formatDuration(revertedAt - injectedAt) : null,
    },
    timeline: buildTimeline(events, { origin: origin.at, actor, targetName }),
    before,
    during: {
      recorded: readings.length > 0,
      samples: readings.length,
      from: readings[0] ? relTime(readings[0].event.at, origin.at) : null,
      to: readings.at(-1) ? relTime(readings.at(-1)!.event.at, origin.at) : null,
      guardrails: guardrailRows(record, spec, readings),
    },
    after,
    breaches,
    injected: revertRows.length > 0 || injectedAt !== null,
    reverts: revertRows,
    revertSummary:
      revertRows.length === 0
        ? 'Nothing was injected, so nothing needed reverting.'
        : revertFailed || eventsOf(events, 'revert-unconfirmed').length > 0
          ? 'At least one revert FAILED or is NOT confirmed: the fault may still be in place. Follow the rollback steps below and confirm by hand.'
          : revertRows.every((r) => r.outcome.startsWith('reverted'))
            ? revertRows.every((r) => r.outcome.includes('reverted and confirmed'))
              ? 'Every injected fault was reverted and confirmed: the targets read back as they were.'
              : 'Every injected fault was reverted.'
            : 'Not every injected fault has a recorded revert; check the targets.',
    abort: record.abort ? { by: actor(record.abort.by.id), code: record.abort.code, reason: record.abort.reason, ...moment(record.abort.at, origin.at) } : null,
    failure: record.failure,
    rollback: spec.rollback?.trim() ?? null,
    alerts: { expected: [...spec.expectAlerts], pagerduty: [...spec.pagerduty.services], incidents: incidentRows(input.events, origin.at) },
    gameDay: gameDayLink(record, input.gameDayReportDir),
    chart: chartLink(record, spec, events),
  };
}

function chartLink(record: ExperimentRecord, spec: Experiment, events: readonly PostmortemEvent[]): PostmortemView['chart'] {
  const signals = runChartData(record, spec, events).signals.length;
  if (signals === 0) return null;
  const file = signalChartFileName(record.id);
  return { file, link: encodeURI(file), signals };
}

function gameDayLink(record: ExperimentRecord, dir: string | undefined): PostmortemView['gameDay'] {
  if (!record.gameDay) return null;
  const report = gameDayReportPath(dir ?? '', record.gameDay.id);
  // The report sits next to the post-mortems, so a link by file name opens it in any Markdown viewer.
  return { id: record.gameDay.id, step: record.gameDay.step + 1, report, link: basename(report) };
}

export interface IncidentRow {
  id: string;
  title: string;
  service: string;
  urgency: string;
  status: string;
  url: string;
  /** Time from the origin (injection) to the incident's trigger and acknowledgement. */
  triggered: string;
  acknowledged: string;
}

/** The detection record: every incident seen on a linked service during the run, latest state of each. */
function incidentRows(events: readonly PostmortemEvent[], origin: number): IncidentRow[] {
  const latest = new Map<string, Record<string, unknown>>();
  for (const e of events) if (e.kind === 'incident' && typeof e.data.id === 'string') latest.set(e.data.id, e.data);
  return [...latest.values()].map((d) => {
    const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : null);
    const created = num('createdAt');
    const acked = num('acknowledgedAt');
    return {
      id: String(d.id),
      title: cell(String(d.title ?? '')),
      service: String(d.serviceId ?? ''),
      urgency: String(d.urgency ?? ''),
      status: String(d.status ?? ''),
      url: String(d.url ?? ''),
      triggered: created !== null ? relTime(created, origin) : '—',
      acknowledged: acked !== null ? relTime(acked, origin) : 'not acknowledged',
    };
  });
}
