import { z } from 'zod';
import { formatDuration } from '../src/core/duration.js';
import { FaultlineError } from '../src/core/errors.js';
import { gameDayListMessage } from '../src/core/list-cards.js';
import { mentionChannel } from '../src/core/mention.js';
import { message } from '../src/core/message.js';
import { defineCommand, restText } from './command.js';
import { withApprovers } from './with-approvers.js';

export const GameDayId = z.string().regex(/^gd-[0-9a-f]{4,}$/, 'a game-day id like gd-1a2b3c');

/**
 * Where `note` and `conclude` go: a game-day id, or `thread:<ts>` (a chat thread in the command's
 * channel, resolved by the day's card). The Slack shortcut writes the latter: the line is all that
 * reaches the leader on a replica, and a message knows its thread, not its game day.
 */
const NoteTarget = z.string().transform((raw, ctx): string | { threadTs: string } => {
  if (GameDayId.safeParse(raw).success) return raw;
  const thread = /^thread:(\d+\.\d+)$/.exec(raw);
  if (thread) return { threadTs: thread[1]! };
  ctx.addIssue({ code: 'custom', message: 'a game-day id like gd-1a2b3c, or thread:<message ts>' });
  return z.NEVER;
});

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

/** A person as typed: a chat user id, `@name`, or Slack's escaped `<@U…|name>` (which gives the id). */
function userArg(raw: string): string | undefined {
  const escaped = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(raw);
  if (escaped) return escaped[1];
  const bare = raw.startsWith('@') ? raw.slice(1) : raw;
  return /^[\w.-]+$/.test(bare) ? bare : undefined;
}

const User = z.string().transform((raw, ctx) => userArg(raw) ?? (ctx.addIssue({ code: 'custom', message: 'a chat user id or @mention' }), z.NEVER));

/** `action <gd-id> <owner> <text…> [due YYYY-MM-DD]`: the due date, when given, is the last two words. */
function actionArgs(words: readonly string[]): { text: string[]; due: string | null } {
  const n = words.length;
  if (n >= 2 && words[n - 2]!.toLowerCase() === 'due') {
    const due = words[n - 1]!;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(due) || Number.isNaN(Date.parse(`${due}T00:00:00Z`))) {
      throw new FaultlineError('command_usage', `the due date is a day like 2026-12-31 (got "${due}")`, { field: 'due' });
    }
    return { text: words.slice(0, n - 2), due };
  }
  return { text: [...words], due: null };
}

const Args = z.union([
  z.tuple([z.literal('start'), z.string().min(1)], z.string()),
  z.tuple([z.literal('list')]),
  z.tuple([z.enum(['approve', 'status']), GameDayId]),
  z.tuple([z.literal('continue'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, rest.join(' ').trim()] as const),
  z.tuple([z.enum(['note', 'conclude']), NoteTarget, z.string()], z.string()).transform(([verb, id, ...rest]) => [verb, id, rest.join(' ').trim()] as const),
  z.tuple([z.literal('action'), GameDayId, User, z.string()], z.string()).transform(([verb, id, owner, ...rest]) => [verb, id, owner, rest] as const),
  z.tuple([z.literal('handover'), GameDayId, User]),
  z.tuple([z.literal('reject'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('rejected').parse(rest)] as const),
  // At a checkpoint, the reason typed is also the team's conclusion on the step that ran (the 4th element).
  z.tuple([z.literal('hold'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('held by the commander').parse(rest), rest.join(' ').trim()] as const),
  z.tuple([z.literal('abort'), GameDayId], z.string()).transform(([verb, id, ...rest]) => [verb, id, restText('aborted from chat').parse(rest), rest.join(' ').trim()] as const),
]);

export const gamedayCommand = defineCommand({
  name: 'gameday',
  usage:
    '/chaos gameday start <name> [--channel #c] | approve|status <gd-id> | continue <gd-id> [conclusion] | hold|reject|abort <gd-id> [reason] | note|conclude <gd-id> <text> | action <gd-id> <owner> <text> [due YYYY-MM-DD] | handover <gd-id> <user> | list',
  summary:
    "game days: escalating steps, one approval, a checkpoint after each step (only the commander continues; anyone aborts); anyone in the day's roles notes, concludes (thread:<message ts> in place of the gd-id finds the day by its thread, as Slack's Add to game day does) and adds action items (text after continue, or a hold/abort reason at a checkpoint, is the step's conclusion); the commander hands over, an approver once the commander is silent past commanderTimeout",
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
        const { record: r } = days.continue(args[1], ctx.actor, args[2] || undefined);
        const step = r.steps[r.current ?? r.next]!;
        return message({ title: `${r.id}: step ${step.index + 1} of ${r.steps.length} starting`, tone: 'warning', sections: [`${step.name}: ${step.plan.fault.type} for ${formatDuration(step.plan.durationMs)}. Abort any time: /chaos gameday abort ${r.id}`] });
      }
      case 'note':
      case 'conclude': {
        const [verb, target, text] = args;
        const typed = typeof target === 'string' ? target : `thread:${target.threadTs}`;
        if (!text) throw new FaultlineError('command_usage', `${verb === 'note' ? 'the note' : 'the conclusion'} is missing: /chaos gameday ${verb} ${typed} <text>`, { field: 'text' });
        const id = typeof target === 'string' ? target : days.repo.byThread(ctx.channel, target.threadTs).record.id;
        const n = days.notebook.note(id, verb === 'note' ? 'note' : 'conclusion', ctx.actor, text);
        const on = n.step === null ? 'before step 1' : `on step ${n.step + 1}`;
        return { ...message({ title: `${id}: ${verb === 'note' ? (n.scribe ? 'scribe note' : 'note') : 'conclusion'} recorded ${on}`, tone: 'success' }), ephemeral: true };
      }
      case 'action': {
        const [, id, owner, words] = args;
        const { text, due } = actionArgs(words);
        if (text.length === 0) throw new FaultlineError('command_usage', `what is to be done is missing: /chaos gameday action ${id} <owner> <text> [due YYYY-MM-DD]`, { field: 'text' });
        const a = days.notebook.action(id, ctx.actor, { owner, text: text.join(' '), due });
        return { ...message({ title: `${id}: action item #${a.number} for ${a.owner}${a.due ? `, due ${a.due}` : ''}`, tone: 'success' }), ephemeral: true };
      }
      case 'handover': {
        const [, id, to] = args;
        const c = days.notebook.handover(id, ctx.actor, to);
        return message({ title: `${id}: ${to} is the commander now`, tone: 'success', sections: [`Handed over from ${c.from}${c.authority === 'timeout' ? ' (silent past the commander timeout)' : ''}.`] });
      }
      case 'hold': {
        const { record: r } = days.hold(args[1], ctx.actor, args[2], args[3] || undefined);
        return message({ title: r.state === 'running' ? `${r.id} will hold after the running step` : `${r.id} held before step ${r.next + 1}`, tone: 'warning' });
      }
      case 'reject': {
        const [, id, reason] = args;
        const { record: r } = await withApprovers(ctx, () => days.reject(id, ctx.actor, reason));
        return message({ title: `${r.id} rejected`, tone: 'warning' });
      }
      case 'abort': {
        const [, id, reason, typed] = args;
        const { record: r } = await withApprovers(ctx, () => days.abort(id, ctx.actor, reason, typed || undefined));
        return message({ title: `${r.id} ${r.state}`, tone: 'danger', sections: [r.current !== null ? 'The running step is being reverted; later steps will not run.' : 'Later steps will not run.'] });
      }
    }
  },
});
