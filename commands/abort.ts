import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, restText, ON_THE_CARD } from './command.js';
import { withApprovers } from './with-approvers.js';

export const abortCommand = defineCommand({
  name: 'abort',
  usage: '/chaos abort <id> [reason]',
  summary: 'abort now and revert; anyone may, no approval needed (before it runs, this cancels it: its proposer or an approver)',
  args: z.tuple([ExperimentId], z.string()).transform(([id, ...rest]) => ({ id, reason: restText('aborted by hand').parse(rest) })),
  async run({ id, reason }, ctx) {
    const { record } = await withApprovers(ctx, () => ctx.engine.experiments.abort(id, ctx.actor, reason));
    const what = record.state === 'running' ? 'reverting now' : record.state;
    return message({ title: `${id} aborted: ${what}`, tone: 'danger', sections: [reason], ephemeral: ON_THE_CARD });
  },
});
