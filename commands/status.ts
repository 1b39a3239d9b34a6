import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId } from './command.js';

export const statusCommand = defineCommand({
  name: 'status',
  usage: '/chaos status [id]',
  summary: 'one experiment\'s card, or what is running and whether chaos is halted',
  args: z.union([z.tuple([ExperimentId]), z.tuple([])]),
  async run(args, ctx) {
    const [id] = args;
    if (id) return { ...ctx.service.transitions.card(ctx.service.get(id)), ephemeral: true };
    const halt = ctx.service.killSwitch.state();
    const shown = 25;
    const active = ctx.service.repo.list({ states: ['running', 'approved', 'proposed'], limit: shown + 1 });
    const lines = active.slice(0, shown).map((e) => `${e.record.id}  ${e.record.name}  ${e.record.state}${e.record.phase ? `/${e.record.phase}` : ''}`);
    if (active.length > shown) lines.push(`… and more; /chaos list shows the recent ones`);
    for (const { record: g } of ctx.service.gamedays.repo.active()) lines.push(`${g.id}  game day ${g.name}  ${g.state} (step ${Math.min(g.next + 1, g.steps.length)}/${g.steps.length})`);
    return message({
      title: halt ? `Chaos is HALTED by ${halt.by}: ${halt.reason}` : 'Chaos is enabled',
      tone: halt ? 'danger' : 'info',
      sections: [lines.length > 0 ? lines.join('\n') : 'No experiment or game day is proposed, approved or running.'],
      ephemeral: true,
    });
  },
});
