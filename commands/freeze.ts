import { z } from 'zod';
import { parseDuration } from '../src/core/duration.js';
import { FaultlineError } from '../src/core/errors.js';
import { message } from '../src/core/message.js';
import { describeIncident } from '../src/engine/guards/incident-watch.js';
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
    const now = Date.now();
    const freezes = ctx.service.freezes;
    if (args[0] === 'list') {
      const active = freezes.active();
      const lines = freezes.all().map((w) =>
        w.kind === 'once' ? `${w.id}  ${new Date(w.from).toISOString()} → ${new Date(w.to).toISOString()}  ${w.reason} (by ${w.by})` : `${w.id}  every "${w.cron}" (${w.timeZone}) for ${Math.round(w.durationMs / 60_000)} min  ${w.reason}`,
      );
      // Services frozen by high-urgency incidents: only experiments linked to them are held back.
      const services = ctx.service.incidents.book.active().map((f) => `${f.serviceId}  until ${new Date(f.until).toISOString()} (or its resolve)  ${describeIncident(f.incident)}`);
      return message({
        title: active ? `Frozen until ${new Date(active.until).toISOString()}: ${active.window.reason}` : 'Not frozen now',
        tone: active || services.length > 0 ? 'warning' : 'info',
        sections: [lines.join('\n') || 'No freeze windows.', ...(services.length > 0 ? [`Services frozen by incidents:\n${services.join('\n')}`] : [])],
        ephemeral: true,
      });
    }
    if (args[0] === 'remove') {
      const removed = freezes.remove(args[1]);
      ctx.service.journal.record('freeze-removed', null, ctx.actor, { id: args[1], removed });
      return message({ title: removed ? `Freeze ${args[1]} removed` : `No chat-added freeze ${args[1]} (configured windows change in the config file)`, tone: removed ? 'success' : 'warning', ephemeral: !removed });
    }
    const [, fromText, toText, ...words] = args;
    const from = parseMoment(fromText, now);
    const to = parseMoment(toText, now);
    if (from === undefined || to === undefined || to <= from || to <= now) {
      throw new FaultlineError('command_usage', 'freeze add <from> <to>: from/to are now, +<duration> (e.g. +2h) or an ISO time such as 2026-12-24T00:00:00Z; to must be after from and in the future');
    }
    const w = freezes.add(from, to, words.join(' ') || 'freeze', ctx.actor.id);
    ctx.service.journal.record('freeze-added', null, ctx.actor, { ...w });
    return message({ title: `Frozen ${new Date(from).toISOString()} → ${new Date(to).toISOString()}`, tone: 'warning', sections: [`${w.id}: ${w.reason}. No experiment starts in this window; /chaos halt still works.`] });
  },
});
