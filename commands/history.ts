import { z } from 'zod';
import { historyMessage } from '../src/core/list-cards.js';
import { defineCommand } from './command.js';

export const historyCommand = defineCommand({
  name: 'history',
  usage: '/chaos history [target]',
  summary: 'past runs per target with verdicts, and the largest radius that held',
  args: z.array(z.string()).max(1),
  async run([filter], ctx) {
    return historyMessage(ctx.engine.experiments.pastRuns(), filter, ctx.engine.now());
  },
});
