import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand, type Command } from './command.js';

export const helpCommand = (all: () => ReadonlyMap<string, Command>) =>
  defineCommand({
    name: 'help',
    usage: '/chaos help',
    summary: 'list the commands',
    args: z.array(z.string()),
    async run() {
      const lines = [...all().values()].map((c) => `${c.usage.padEnd(52)} ${c.summary}`);
      return message({ title: 'Faultline commands', sections: [lines.join('\n')], ephemeral: true });
    },
  });
