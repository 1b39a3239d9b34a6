import { z } from 'zod';
import { statusMessage } from '../src/core/status-card.js';
import { defineCommand, ExperimentId } from './command.js';
import { cardNotPostedText } from '../src/core/card-refusal.js';

const CARD_WAIT_MS = 1500;

/** More than this many active experiments is summarised as "and more". */
const SHOWN = 25;

export const statusCommand = defineCommand({
  name: 'status',
  usage: '/chaos status [id]',
  summary: 'one experiment\'s card (posted again if it never reached its channel), or what is running and whether chaos is halted',
  args: z.union([z.tuple([ExperimentId]), z.tuple([])]),
  async run(args, ctx) {
    const [id] = args;
    const experiments = ctx.engine.experiments;
    if (id) {
      const entry = experiments.get(id);
      // A card that never reached its channel (the bot was not in it) is posted again now.
      const card = entry.card ? 'posted' : await experiments.repostCard(id, CARD_WAIT_MS);
      const note = entry.card ? [] : card === 'posted' ? [`The card is now posted in its channel.`] : typeof card === 'object' ? [cardNotPostedText(id, entry.record.channel, card.refused)] : [];
      const shown = experiments.card(entry);
      return { ...shown, sections: [...note, ...shown.sections], ephemeral: true };
    }
    return statusMessage(ctx.engine.status(SHOWN));
  },
});
