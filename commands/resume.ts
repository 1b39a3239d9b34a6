import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand } from './command.js';

export const resumeCommand = defineCommand({
  name: 'resume',
  usage: '/chaos resume',
  summary: 'lift the halt; approved experiments may start again',
  args: z.tuple([]),
  async run(_args, ctx) {
    const was = ctx.engine.experiments.haltState();
    ctx.engine.experiments.resume(ctx.actor);
    return message({ title: was ? 'Chaos resumed' : 'Chaos was not halted', tone: 'success', sections: was ? [`The halt by ${was.by} (${was.reason}) is lifted.`] : [] });
  },
});
