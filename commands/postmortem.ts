import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, ExperimentId } from './command.js';

export const postmortemCommand = defineCommand({
  name: 'postmortem',
  usage: '/chaos postmortem <id>',
  summary: 'where the post-mortem draft of a finished experiment is (drafts it again)',
  args: z.tuple([ExperimentId]),
  async run([id], ctx) {
    const path = await ctx.engine.experiments.draftPostmortem(id);
    return message({ title: `Post-mortem draft for ${id}`, sections: [path], ephemeral: true });
  },
});
