import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId, restText } from './command.js';

export const abortCommand = defineCommand({
  name: 'abort',
  usage: '/chaos abort <id> [reason]',
  summary: 'abort now and revert; anyone may, no approval needed',
  args: z.tuple([ExperimentId], z.string()).transform(([id, ...rest]) => ({ id, reason: restText('aborted by hand').parse(rest) })),
  async run({ id, reason }, ctx) {
    const { record } = ctx.service.abort(id, ctx.actor, reason);
    const what = record.state === 'running' ? 'reverting now' : record.state;
    return message({ title: `${id} aborted: ${what}`, tone: 'danger', sections: [reason] });
  },
});
