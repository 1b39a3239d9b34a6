import { z } from 'zod';
import { parseDuration } from '../src/core/duration.js';
import { message } from '../src/core/message.js';
import { shortHash } from '../src/core/plan-hash.js';
import { defineCommand } from './command.js';
import { cardNotPostedText } from '../src/core/card-refusal.js';

/** How long the answer waits to know whether the card reached its channel. */
const CARD_WAIT_MS = 1500;

const Override = z.string().regex(/^(duration|blastRadius)=\S+$/, 'overrides are duration=<30s> or blastRadius=<one|all|count:N|percent:P>');

export const proposeCommand = defineCommand({
  name: 'propose',
  usage: '/chaos propose <playbook> [duration=30s] [blastRadius=count:2]',
  summary: 'propose an experiment from a playbook; a second person approves it',
  args: z.tuple([z.string().min(1)], Override).transform(([playbook, ...rest], ctx) => {
    const overrides: { duration?: number; blastRadius?: string } = {};
    for (const o of rest) {
      const [key, value] = o.split('=', 2) as [string, string];
      if (key === 'duration') {
        const ms = parseDuration(value);
        if (!ms) {
          ctx.addIssue({ code: 'custom', message: `duration=${value}: expected a duration like 30s or 5m` });
          return z.NEVER;
        }
        overrides.duration = ms;
      } else overrides.blastRadius = value;
    }
    return { playbook, overrides };
  }),
  async run({ playbook, overrides }, ctx) {
    const { record } = await ctx.engine.experiments.propose({ playbook, overrides, actor: ctx.actor, channel: ctx.channel });
    const names = record.plan.targets.map((t) => t.name).join(', ');
    // The card goes out on the chat's time; a refusal (the bot not in the channel) is said here, to the proposer.
    const card = await ctx.engine.experiments.cardOutcome(record.id, CARD_WAIT_MS);
    const refused = typeof card === 'object' ? cardNotPostedText(record.id, record.channel, card.refused) : undefined;
    return message({
      title: `Proposed ${record.id} (${record.name})`,
      tone: refused ? 'warning' : 'info',
      sections: [
        ...(refused ? [refused] : []),
        `It would hit ${record.plan.targets.length} of ${record.plan.candidates}: ${names}. Plan ${shortHash(record.planHash)}.`,
        `A second person approves it: /chaos approve ${record.id}`,
      ],
      ephemeral: true,
    });
  },
});
