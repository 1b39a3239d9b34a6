import { message } from '../src/core/message.js';
import { defineCommand, restText } from './command.js';

export const haltCommand = defineCommand({
  name: 'halt',
  usage: '/chaos halt [reason]',
  summary: 'kill switch: abort everything running and block new starts',
  args: restText('halted by hand'),
  async run(reason, ctx) {
    const aborted = ctx.engine.experiments.halt(ctx.actor, reason);
    const list = aborted.map((e) => e.record.id).join(', ') || 'nothing was running';
    return message({ title: 'Chaos halted', tone: 'danger', sections: [`Aborted: ${list}.`, 'No experiment starts until /chaos resume.'] });
  },
});
