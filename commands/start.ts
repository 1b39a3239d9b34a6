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
    const { record, awaitingOnCall } = await ctx.engine.experiments.start(id, ctx.actor);
    if (awaitingOnCall) {
      const who = [...new Set(awaitingOnCall.asked.map((p) => p.name))].join(', ');
      return message({
        title: `${id} waits for the on-call`,
        tone: 'info',
        sections: [`Asked ${who} to acknowledge in the thread (until ${new Date(awaitingOnCall.deadline).toISOString()}). It starts when they do; nothing goes in before.`],
        ephemeral: ON_THE_CARD,
        // The card still says approved: whoever pressed Start hears why nothing moved.
        toClicker: true,
      });
    }
    return message({
      title: `${id} starting`,
      tone: 'warning',
      sections: [`${record.plan.fault.type} on ${record.plan.targets.map((t) => t.name).join(', ')} for ${formatDuration(record.plan.durationMs)}. Abort any time: /chaos abort ${id}`],
      ephemeral: ON_THE_CARD,
    });
  },
});
