import { actorLabel } from './actor.js';
import { parseCron } from './cron-match.js';
import { message, type Message } from './message.js';
import { candidatesOf, describeCandidate, type Schedule } from './schedule.js';
import { nextSlot } from './schedule-slots.js';
import { formatDays } from './schedule-standing.js';

/** One row of a schedule's run history, as the store keeps it. */
export interface ScheduleRunRow {
  slot: number;
  outcome: string;
  data: unknown;
}

const iso = (t: number) => new Date(t).toISOString();

/** When the schedule fires next, or why it does not. */
export function nextRun(s: Schedule, now: number): string {
  if (s.state !== 'active') return s.state;
  const spec = parseCron(s.cron);
  const at = spec ? nextSlot(spec, s.timeZone, now) : null;
  return at === null ? 'not within 35 days' : iso(at);
}

function standingText(s: Schedule, now: number): string {
  if (!s.standing) return 'none (each run waits for an approver)';
  const by = actorLabel(s.standing.by);
  return now >= s.standing.expiresAt ? `expired ${iso(s.standing.expiresAt)} (was ${by})` : `${by} until ${iso(s.standing.expiresAt)}`;
}

function summary(s: Schedule, now: number): string {
  const n = candidatesOf(s).length;
  const what = s.targets.map((t) => (t.kind === 'gameday' ? `game day ${t.name}` : t.name)).join(', ');
  const rot = n > 1 ? ` (${s.rotate} over ${n})` : '';
  return `${s.id}  ${s.state}  "${s.cron}" ${s.timeZone}  ${what}${rot}${s.catchUp ? '  catch-up' : ''}  next: ${nextRun(s, now)}  standing: ${standingText(s, now)}`;
}


/** Said wherever schedules are shown while the config turns them off. */
export function disabledNote(enabled: boolean): string[] {
  return enabled ? [] : ['Schedules are disabled in the config (schedules.enabled: false): nothing fires.'];
}

export function scheduleListMessage(all: readonly Schedule[], now: number, enabled: boolean): Message {
  return message({ title: all.length ? `Schedules (${all.length})` : 'No schedules', sections: [all.map((s) => summary(s, now)).join('\n') || 'Add one: /chaos schedule add <playbook> "<cron>"', ...disabledNote(enabled)], ephemeral: true });
}

export function scheduleRunsMessage(s: Schedule, runs: readonly ScheduleRunRow[], now: number): Message {
  const lines = runs.map((r) => {
    const d = r.data as { choice?: string; experimentId?: string; gameDayId?: string; reason?: string; code?: string };
    const what = [d.experimentId ?? d.gameDayId, d.choice].filter(Boolean).join(' ');
    if (r.outcome === 'skipped') return `${iso(r.slot)}  skipped  ${d.reason ?? ''}`;
    const why = r.outcome === 'failed' ? `${d.code}: ${d.reason}` : '';
    return `${iso(r.slot)}  ${r.outcome}  ${[what, why].filter(Boolean).join(' — ')}`;
  });
  return message({ title: `Recent runs of ${s.id}`, sections: [lines.join('\n') || 'No runs yet.', `Next: ${nextRun(s, now)}`], ephemeral: true });
}

export function standingGrantedMessage(s: Schedule, by: Parameters<typeof actorLabel>[0]): Message {
  const st = s.standing!;
  return message({
    title: `Standing approval of ${s.id} by ${actorLabel(by)}`,
    tone: 'success',
    sections: [
      `Until ${iso(st.expiresAt)} (${formatDays(st.expiresAt - st.grantedAt)}), runs of ${s.id} are approved and started without asking, as long as its playbooks stay as they are now (spec ${st.specHash.slice(0, 12)}). Freezes, halts and busy targets still skip runs.`,
      `Take it back with /chaos schedule revoke ${s.id}.`,
    ],
  });
}

export function scheduleAddedMessage(s: Schedule, now: number, enabled: boolean): Message {
  const cands = candidatesOf(s);
  return message({
    title: `Schedule ${s.id} added`,
    tone: 'success',
    fields: [
      { label: 'Runs', value: cands.map(describeCandidate).join(' | ') },
      { label: 'When', value: `"${s.cron}" (${s.timeZone}); next ${nextRun(s, now)}` },
      ...(cands.length > 1 ? [{ label: 'Rotation', value: s.rotate === 'random' ? 'random (seeded, journaled)' : 'in turn' }] : []),
      { label: 'Channel', value: s.channel },
      { label: 'Missed runs', value: s.catchUp ? 'the newest one fires once when the bot comes back' : 'not fired late' },
    ],
    sections: [`Each run is proposed and waits for an approver, unless an approver other than you gives it a standing approval: /chaos schedule approve ${s.id} [for 7d].`, ...disabledNote(enabled)],
  });
}
