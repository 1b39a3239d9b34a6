import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId } from './command.js';

export const postmortemCommand = defineCommand({
  name: 'postmortem',
  usage: '/chaos postmortem <id>',
  summary: 'drafts the post-mortem of a finished experiment again and puts it into its thread',
  args: z.tuple([ExperimentId]),
  async run([id], ctx) {
    const path = await ctx.engine.experiments.draftPostmortem(id);
    return message({ title: `Post-mortem draft for ${id}`, sections: [`Drafted again and put into the experiment's thread.`, `On the bot's disk: ${path}`], ephemeral: true });
  },
});
