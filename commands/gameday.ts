import { z } from 'zod';
import { formatDuration } from '../src/core/duration.js';
import { FaultlineError } from '../src/core/errors.js';
import { gameDayListMessage } from '../src/core/list-cards.js';
import { mentionChannel } from '../src/core/mention.js';
import { message } from '../src/core/message.js';
import { defineCommand, restText } from './command.js';
import { withApprovers } from './with-approvers.js';

export const GameDayId = z.string().regex(/^gd-[0-9a-f]{4,}$/, 'a game-day id like gd-1a2b3c');

/** A channel as typed: `#name`, a channel id, or Slack's escaped `<#C…|name>` (which gives the id). */
function channelArg(raw: string): string | undefined {
  const escaped = /^<#([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(raw);
  if (escaped) return escaped[1];
  return /^#[\w.-]+$/.test(raw) || /^[CG][A-Z0-9]{6,}$/.test(raw) ? raw : undefined;
}

/** `start <name> [--channel #c | in #c]`: without a channel the day runs in the one its file names. */
function startChannel(rest: readonly string[]): string | undefined {
  if (rest.length === 0) return undefined;
  const channel = rest.length === 2 && (rest[0] === '--channel' || rest[0] === 'in') ? channelArg(rest[1]!) : undefined;
  if (channel) return channel;
  throw new FaultlineError('command_usage', `after the game day's name: --channel #channel or in #channel (got "${rest.join(' ')}")`, { field: 'channel' });
}

const Args = z.union([
  z.tuple([z.literal('start'), z.string().min(1)], z.string()),
  z.tuple([z.literal('list')]),
  z.tuple([z.enum(['approve', 'continue', 'status']), GameDayId]),
  z.tuple([z.literal('reject'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('rejected').parse(rest)] as const),
  z.tuple([z.literal('hold'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('held by the commander').parse(rest)] as const),
  z.tuple([z.literal('abort'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('aborted from chat').parse(rest)] as const),
]);

export const gamedayCommand = defineCommand({
  name: 'gameday',
  usage: '/chaos gameday start <name> [--channel #c] | approve|continue|status <gd-id> | hold|reject|abort <gd-id> [reason] | list',
  summary: 'game days: escalating steps, one approval, a checkpoint after each step (only the commander continues; anyone aborts)',
  args: Args,
  async run(args, ctx) {
    const days = ctx.engine.gamedays;
    switch (args[0]) {
      case 'start': {
        // The day runs in the channel its file names unless the command names another.
        const [, name, ...rest] = args;
        const channel = startChannel(rest);
        const { record: r } = await days.propose({ name, actor: ctx.actor, ...(channel ? { channel } : {}) });
        const where = r.channel !== ctx.channel ? [`Its card and thread are in ${mentionChannel(r.channel)}.`] : [];
        return message({
          title: `${r.id} proposed: ${r.title}`,
          sections: [
            `${r.steps.length} steps, commander ${r.roles.commander}. A second person approves the whole day once (/chaos gameday approve ${r.id}); then the commander starts step 1 with /chaos gameday continue ${r.id}.`,
            ...where,
          ],
        });
      }
      case 'list': {
        return gameDayListMessage(days.list(15).map((g) => g.record), days.names());
      }
      case 'status':
        return { ...days.card(days.get(args[1]).record), ephemeral: true };
      case 'approve': {
        const { record: r } = await days.approve(args[1], ctx.actor);
        return message({ title: `${r.id} approved`, tone: 'success', sections: [`The commander (${r.roles.commander}) starts step ${r.next + 1} with Continue.`] });
      }
      case 'continue': {
        const { record: r } = days.continue(args[1], ctx.actor);
        const step = r.steps[r.current ?? r.next]!;
        return message({ title: `${r.id}: step ${step.index + 1} of ${r.steps.length} starting`, tone: 'warning', sections: [`${step.name}: ${step.plan.fault.type} for ${formatDuration(step.plan.durationMs)}. Abort any time: /chaos gameday abort ${r.id}`] });
      }
      case 'hold': {
        const { record: r } = days.hold(args[1], ctx.actor, args[2]);
        return message({ title: r.state === 'running' ? `${r.id} will hold after the running step` : `${r.id} held before step ${r.next + 1}`, tone: 'warning' });
      }
      case 'reject': {
        const [, id, reason] = args;
        const { record: r } = await withApprovers(ctx, () => days.reject(id, ctx.actor, reason));
        return message({ title: `${r.id} rejected`, tone: 'warning' });
      }
      case 'abort': {
        const [, id, reason] = args;
        const { record: r } = await withApprovers(ctx, () => days.abort(id, ctx.actor, reason));
        return message({ title: `${r.id} ${r.state}`, tone: 'danger', sections: [r.current !== null ? 'The running step is being reverted; later steps will not run.' : 'Later steps will not run.'] });
      }
    }
  },
});
