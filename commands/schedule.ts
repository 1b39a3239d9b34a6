import { z } from 'zod';
import { actorLabel } from '../src/core/actor.js';
import { FaultlineError } from '../src/core/errors.js';
import { message } from '../src/core/message.js';
import { candidatesOf, describeCandidate, parseLongDuration, ScheduleId, type Schedule } from '../src/core/schedule.js';
import { parseAddArgs } from '../src/core/schedule-args.js';
import { nextSlot } from '../src/core/schedule-slots.js';
import { formatDays } from '../src/core/schedule-standing.js';
import { parseCron } from '../src/core/cron-match.js';
import type { ScheduleBook } from '../src/engine/schedules/schedule-book.js';
import { defineCommand, type CommandContext } from './command.js';

const Id = ScheduleId;
const Args = z.union([
  z.tuple([z.literal('list')]),
  z.tuple([z.literal('list'), z.literal('all')]),
  z.tuple([z.enum(['remove', 'pause', 'resume', 'revoke', 'runs']), Id]),
  z.tuple([z.literal('approve'), Id]),
  z.tuple([z.literal('approve'), Id, z.literal('for'), z.string()]),
  z.tuple([z.literal('add'), z.string()], z.string()),
]);

const USAGE = [
  '/chaos schedule add <playbook|gameday>[,<name>…] "<cron>" [--tz Europe/Berlin] [--rotate random|in-turn] [--target key=value]… [--catch-up] [--channel #c]',
  'list [all] | runs <id> | pause <id> | resume <id> | remove <id> | approve <id> [for 7d] | revoke <id>',
].join(' | ');

const iso = (t: number) => new Date(t).toISOString();

function book(ctx: CommandContext): ScheduleBook {
  const b = ctx.service.schedules;
  if (!b) throw new FaultlineError('schedule_invalid', 'schedules are not available in this bot (no schedule runner is wired)');
  return b;
}

function next(s: Schedule, now: number): string {
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
  return `${s.id}  ${s.state}  "${s.cron}" ${s.timeZone}  ${what}${rot}${s.catchUp ? '  catch-up' : ''}  next: ${next(s, now)}  standing: ${standingText(s, now)}`;
}

function disabledNote(b: ScheduleBook): string[] {
  return b.settings.enabled ? [] : ['Schedules are disabled in the config (schedules.enabled: false): nothing fires.'];
}

export const scheduleCommand = defineCommand({
  name: 'schedule',
  usage: USAGE,
  summary: 'run playbooks or game days on a cron schedule (with rotation and standing approvals)',
  args: Args,
  async run(args, ctx) {
    const b = book(ctx);
    const now = b.now();
    switch (args[0]) {
      case 'list': {
        const all = b.list({ removed: args.length === 2 });
        return message({ title: all.length ? `Schedules (${all.length})` : 'No schedules', sections: [all.map((s) => summary(s, now)).join('\n') || 'Add one: /chaos schedule add <playbook> "<cron>"', ...disabledNote(b)], ephemeral: true });
      }
      case 'runs': {
        const s = b.get(args[1]);
        const lines = b.runs(s.id, 15).map((r) => {
          const d = r.data as { choice?: string; experimentId?: string; gameDayId?: string; reason?: string; code?: string };
          const what = [d.experimentId ?? d.gameDayId, d.choice].filter(Boolean).join(' ');
          if (r.outcome === 'skipped') return `${iso(r.slot)}  skipped  ${d.reason ?? ''}`;
          const why = r.outcome === 'failed' ? `${d.code}: ${d.reason}` : '';
          return `${iso(r.slot)}  ${r.outcome}  ${[what, why].filter(Boolean).join(' — ')}`;
        });
        return message({ title: `Recent runs of ${s.id}`, sections: [lines.join('\n') || 'No runs yet.', `Next: ${next(s, now)}`], ephemeral: true });
      }
      case 'pause': {
        const s = b.pause(args[1], ctx.actor);
        return message({ title: `Schedule ${s.id} paused`, tone: 'warning', sections: [`Nothing fires until /chaos schedule resume ${s.id}.`] });
      }
      case 'resume': {
        const s = b.resume(args[1], ctx.actor);
        return message({ title: `Schedule ${s.id} resumed`, tone: 'success', sections: [`Next run: ${next(s, now)}. Runs due while it was paused are not fired.`, ...disabledNote(b)] });
      }
      case 'remove': {
        const s = b.remove(args[1], ctx.actor);
        return message({ title: `Schedule ${s.id} removed`, sections: [`It never fires again; its runs stay on record (/chaos schedule runs ${s.id}).`] });
      }
      case 'revoke': {
        const { schedule: s, had } = b.revoke(args[1], ctx.actor);
        return message({ title: had ? `Standing approval of ${s.id} revoked` : `${s.id} had no standing approval`, tone: had ? 'warning' : 'info', sections: ['Each run now waits for an approver.'] });
      }
      case 'approve': {
        let forMs: number | undefined;
        if (args.length === 4) {
          forMs = parseLongDuration(args[3]);
          if (forMs === undefined) throw new FaultlineError('schedule_invalid', `for: "${args[3]}" is not a duration like 7d, 36h or 1d12h`, { field: 'for' });
        }
        const s = b.approve(args[1], ctx.actor, forMs);
        const st = s.standing!;
        return message({
          title: `Standing approval of ${s.id} by ${actorLabel(ctx.actor)}`,
          tone: 'success',
          sections: [
            `Until ${iso(st.expiresAt)} (${formatDays(st.expiresAt - st.grantedAt)}), runs of ${s.id} are approved and started without asking, as long as its playbooks stay as they are now (spec ${st.specHash.slice(0, 12)}). Freezes, halts and busy targets still skip runs.`,
            `Take it back with /chaos schedule revoke ${s.id}.`,
          ],
        });
      }
      case 'add': {
        const a = parseAddArgs(args.slice(1));
        const s = b.add(
          {
            names: a.names,
            cron: a.cron,
            selectors: a.selectors,
            catchUp: a.catchUp,
            channel: a.channel ?? ctx.channel,
            ...(a.timeZone ? { timeZone: a.timeZone } : {}),
            ...(a.rotate ? { rotate: a.rotate } : {}),
          },
          ctx.actor,
        );
        const cands = candidatesOf(s);
        return message({
          title: `Schedule ${s.id} added`,
          tone: 'success',
          fields: [
            { label: 'Runs', value: cands.map(describeCandidate).join(' | ') },
            { label: 'When', value: `"${s.cron}" (${s.timeZone}); next ${next(s, now)}` },
            ...(cands.length > 1 ? [{ label: 'Rotation', value: s.rotate === 'random' ? 'random (seeded, journaled)' : 'in turn' }] : []),
            { label: 'Channel', value: s.channel },
            { label: 'Missed runs', value: s.catchUp ? 'the newest one fires once when the bot comes back' : 'not fired late' },
          ],
          sections: [`Each run is proposed and waits for an approver, unless an approver other than you gives it a standing approval: /chaos schedule approve ${s.id} [for 7d].`, ...disabledNote(b)],
        });
      }
    }
  },
});
