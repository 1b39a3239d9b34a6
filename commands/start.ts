import { z } from 'zod';
import { formatDuration } from '../src/core/duration.js';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, ON_THE_CARD } from './command.js';

export const startCommand = defineCommand({
  name: 'start',
  usage: '/chaos start <id>',
  summary: 'start an approved experiment (its proposer or an approver; checks steady state first)',
  args: z.tuple([ExperimentId]),
  async run([id], ctx) {
    const { record } = await ctx.engine.experiments.start(id, ctx.actor);
    return message({
      title: `${id} starting`,
      tone: 'warning',
      sections: [`${record.plan.fault.type} on ${record.plan.targets.map((t) => t.name).join(', ')} for ${formatDuration(record.plan.durationMs)}. Abort any time: /chaos abort ${id}`],
      ephemeral: ON_THE_CARD,
    });
  },
});
