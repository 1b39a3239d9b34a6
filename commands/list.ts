import { z } from 'zod';
import { experimentListMessage } from '../src/core/list-cards.js';
import { defineCommand } from './command.js';

export const listCommand = defineCommand({
  name: 'list',
  usage: '/chaos list',
  summary: 'recent experiments and the playbooks you can propose',
  args: z.tuple([]),
  async run(_args, ctx) {
    const experiments = ctx.engine.experiments;
    return experimentListMessage(experiments.list(15).map((e) => e.record), experiments.playbookNames());
  },
});
