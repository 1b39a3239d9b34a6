import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, restText, ON_THE_CARD } from './command.js';
import { withApprovers } from './with-approvers.js';

export const rejectCommand = defineCommand({
  name: 'reject',
  usage: '/chaos reject <id> [reason]',
  summary: 'reject a proposed or approved experiment (approvers only)',
  args: z.tuple([ExperimentId], z.string()).transform(([id, ...rest]) => ({ id, reason: restText('no reason given').parse(rest) })),
  async run({ id, reason }, ctx) {
    await withApprovers(ctx, () => ctx.engine.experiments.reject(id, ctx.actor, reason));
    return message({ title: `${id} rejected`, tone: 'warning', sections: [reason], ephemeral: ON_THE_CARD });
  },
});
