import { z } from 'zod';
import { FaultlineError } from '../src/core/errors.js';
import { message } from '../src/core/message.js';
import { parseLongDuration, ScheduleId } from '../src/core/schedule.js';
import { parseAddArgs } from '../src/core/schedule-args.js';
import { disabledNote, nextRun, scheduleAddedMessage, scheduleListMessage, scheduleRunsMessage, standingGrantedMessage } from '../src/core/schedule-card.js';
import { defineCommand } from './command.js';

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

export const scheduleCommand = defineCommand({
  name: 'schedule',
  usage: USAGE,
  summary: 'run playbooks or game days on a cron schedule (with rotation and standing approvals)',
  args: Args,
  async run(args, ctx) {
    const b = ctx.engine.schedules;
    const now = b.now();
    switch (args[0]) {
      case 'list':
        return scheduleListMessage(b.list({ removed: args.length === 2 }), now, b.settings.enabled);
      case 'runs': {
        const s = b.get(args[1]);
        return scheduleRunsMessage(s, b.runs(s.id, 15), now);
      }
      case 'pause': {
        const s = b.pause(args[1], ctx.actor);
        return message({ title: `Schedule ${s.id} paused`, tone: 'warning', sections: [`Nothing fires until /chaos schedule resume ${s.id}.`] });
      }
      case 'resume': {
        const s = b.resume(args[1], ctx.actor);
        return message({ title: `Schedule ${s.id} resumed`, tone: 'success', sections: [`Next run: ${nextRun(s, now)}. Runs due while it was paused are not fired.`, ...disabledNote(b.settings.enabled)] });
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
        return standingGrantedMessage(b.approve(args[1], ctx.actor, forMs), ctx.actor);
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
        return scheduleAddedMessage(s, now, b.settings.enabled);
      }
    }
  },
});
