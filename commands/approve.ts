import { z } from 'zod';
import { actorLabel } from '../src/core/actor.js';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, ON_THE_CARD } from './command.js';

export const approveCommand = defineCommand({
  name: 'approve',
  usage: '/chaos approve <id>',
  summary: 'approve a proposed experiment (not your own)',
  args: z.tuple([ExperimentId]),
  async run([id], ctx) {
    const { record } = await ctx.engine.experiments.approve(id, ctx.actor);
    const until = new Date(record.approval!.expiresAt).toISOString();
    return message({ title: `${id} approved by ${actorLabel(ctx.actor)}`, tone: 'success', sections: [`Start it before ${until}: /chaos start ${id}`], ephemeral: ON_THE_CARD });
  },
});
