import { z } from 'zod';
import { message } from '../src/core/message.js';
import { defineCommand } from './command.js';

export const listCommand = defineCommand({
  name: 'list',
  usage: '/chaos list',
  summary: 'recent experiments and the playbooks you can propose',
  args: z.tuple([]),
  async run(_args, ctx) {
    const recent = ctx.engine.experiments.list(15).map((e) => {
      const r = e.record;
      return `${r.id}  ${r.name.padEnd(24)} ${(r.state + (r.phase ? `/${r.phase}` : '')).padEnd(22)} ${r.verdict ?? ''}`;
    });
    const playbooks = ctx.engine.experiments.playbookNames();
    return message({
      title: 'Experiments',
      sections: [recent.length > 0 ? recent.join('\n') : 'None yet.', `Playbooks: ${playbooks.join(', ') || '(none loaded)'}`],
      ephemeral: true,
    });
  },
});
