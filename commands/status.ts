import { z } from 'zod';
import { statusMessage } from '../src/core/status-card.js';
import { defineCommand, ExperimentId } from './command.js';

/** More than this many active experiments is summarised as "and more". */
const SHOWN = 25;

export const statusCommand = defineCommand({
  name: 'status',
  usage: '/chaos status [id]',
  summary: 'one experiment\'s card, or what is running and whether chaos is halted',
  args: z.union([z.tuple([ExperimentId]), z.tuple([])]),
  async run(args, ctx) {
    const [id] = args;
    const experiments = ctx.engine.experiments;
    if (id) return { ...experiments.card(experiments.get(id)), ephemeral: true };
    return statusMessage(ctx.engine.status(SHOWN));
  },
});
