import { z } from 'zod';
import { message } from '../src/core/message.js';
import { unacknowledged } from '../src/core/oncall.js';
import { defineCommand, ExperimentId } from './command.js';
import { GameDayId } from './gameday.js';

/** What a handshake is for: an experiment or a game day. */
const Subject = z.union([ExperimentId, GameDayId]);

export const onCallCommand = defineCommand({
  name: 'oncall',
  usage: '/chaos oncall ack <exp-id|gd-id>',
  summary: "the on-call acknowledges a run that needs them (onCall: require); the thread's Acknowledge button does the same",
  args: z.tuple([z.literal('ack'), Subject]),
  async run([, id], ctx) {
    const { handshake, services } = ctx.engine.onCalls.acknowledge(id, ctx.actor);
    const done = handshake.outcome === 'acknowledged';
    return message({
      title: `${id}: acknowledged for ${services.join(', ')}`,
      tone: 'success',
      sections: [done ? 'Every linked service is acknowledged; the start goes on.' : `Still waiting for ${unacknowledged(handshake).join(', ')}.`],
      ephemeral: true,
    });
  },
});
