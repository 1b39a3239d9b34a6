import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, restText, ON_THE_CARD } from './command.js';
import { withApprovers } from './with-approvers.js';

export const cancelCommand = defineCommand({
  name: 'cancel',
  usage: '/chaos cancel <id> [reason]',
  summary: 'withdraw a proposed or approved experiment (its proposer or an approver); a running one: abort it',
  args: z.tuple([ExperimentId], z.string()).transform(([id, ...rest]) => ({ id, reason: restText('cancelled').parse(rest) })),
  async run({ id, reason }, ctx) {
    await withApprovers(ctx, () => ctx.engine.experiments.cancel(id, ctx.actor, reason));
    return message({ title: `${id} cancelled`, tone: 'warning', sections: [reason], ephemeral: ON_THE_CARD });
  },
});
