import { z } from 'zod';
import { parseDuration } from '../src/core/duration.js';
import { FaultlineError } from '../src/core/errors.js';
import { freezeAddedMessage, freezeListMessage, freezeRemovedMessage } from '../src/core/freeze-card.js';
import { defineCommand } from './command.js';

/** `now`, `+2h` (from now) or an ISO 8601 time with its offset. */
function parseMoment(text: string, now: number): number | undefined {
  if (text === 'now') return now;
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    return ms === undefined ? undefined : now + ms;
  }
  const iso = z.iso.datetime({ offset: true }).safeParse(text);
  return iso.success ? Date.parse(text) : undefined;
}

const Args = z.union([
  z.tuple([z.literal('list')]),
  z.tuple([z.literal('remove'), z.string().regex(/^frz-[0-9a-f]+$/, 'a freeze id like frz-1a2b3c')]),
  z.tuple([z.literal('add'), z.string(), z.string()], z.string()),
]);

export const freezeCommand = defineCommand({
  name: 'freeze',
  usage: '/chaos freeze add <from> <to> [reason] | list | remove <id>',
  summary: 'freeze windows: no experiment starts inside one (from/to: now, +2h or ISO time)',
  args: Args,
  async run(args, ctx) {
    const freezes = ctx.engine.freezes;
    if (args[0] === 'list') return freezeListMessage(freezes.overview());
    if (args[0] === 'remove') return freezeRemovedMessage(args[1], freezes.remove(args[1], ctx.actor));
    const now = ctx.engine.now();
    const [, fromText, toText, ...words] = args;
    const from = parseMoment(fromText, now);
    const to = parseMoment(toText, now);
    if (from === undefined || to === undefined || to <= from || to <= now) {
      throw new FaultlineError('command_usage', 'freeze add <from> <to>: from/to are now, +<duration> (e.g. +2h) or an ISO time such as 2026-12-24T00:00:00Z; to must be after from and in the future');
    }
    return freezeAddedMessage(freezes.add(from, to, words.join(' ') || 'freeze', ctx.actor));
  },
});
