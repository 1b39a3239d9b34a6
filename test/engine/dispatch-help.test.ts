import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineCommand, type Command } from '../../commands/command.js';
import { HELP_TOPICS, helpMessage, helpTopics } from '../../commands/help.js';
import { commandRegistry, dispatch } from '../../commands/index.js';
import { message } from '../../src/core/message.js';
import { alice, engineFactory } from './engine-harness.js';

const engine = engineFactory();
const help = async (line: string) => {
  const e = engine();
  return dispatch(line, { actor: alice, channel: '#chaos', engine: e.engine.facade, log: e.log }, commandRegistry());
};
const codeBlocks = (s: string) => s.match(/```[^`]+```/g) ?? [];

describe('/chaos help: by topic, short, one example each', () => {
  it('every registered command is in exactly one topic; one not in the table goes under Other', () => {
    const registry = commandRegistry();
    const placed = helpTopics(registry).flatMap((t) => t.commands.map((c) => c.name));
    expect([...placed].sort()).toEqual([...registry.keys()].sort());
    expect(new Set(placed).size).toBe(placed.length);
    // The table names only commands that exist: a renamed command would otherwise drop out silently.
    expect(HELP_TOPICS.flatMap((t) => t.commands).filter((name) => !registry.has(name))).toEqual([]);

    const extra = defineCommand({ name: 'frob', usage: '/chaos frob <x>', summary: 'frobs', args: z.array(z.string()), run: async () => message({}) });
    const withExtra = new Map<string, Command>([...registry, ['frob', extra]]);
    const other = helpTopics(withExtra).find((t) => t.topic.key === 'other');
    expect(other?.commands.map((c) => c.name)).toContain('frob');
    expect(helpMessage(withExtra).sections.find((s) => s.startsWith('Other\n'))).toContain('`/chaos frob <x>` frobs');
  });

  it('the overview: one section per topic with each command in inline code and one example in a code block, each under 1,500 characters', async () => {
    const reply = await help('/chaos help');
    expect(reply.ephemeral).toBe(true);
    expect(reply.errorCode).toBeUndefined();
    const topics = reply.sections.filter((s) => /^(Experiments|Game days|Schedules|Safety|Other)\n/.test(s));
    expect(topics.map((s) => s.split('\n')[0])).toEqual(['Experiments', 'Game days', 'Schedules', 'Safety', 'Other']);
    for (const s of topics) {
      expect(s.length).toBeLessThan(1500);
      expect(codeBlocks(s)).toHaveLength(1);
      // No column padding outside code: Slack's font would misalign it.
      expect(s).not.toMatch(/\S {3,}\S/);
    }
    const experiments = topics[0]!;
    for (const verb of ['propose', 'approve', 'reject', 'start', 'abort', 'cancel', 'status', 'list', 'history', 'postmortem']) expect(experiments).toContain(`\`/chaos ${verb}`);
    expect(experiments).toContain('```/chaos propose checkout-latency duration=2m```');
    expect(topics[1]).toContain('`/chaos gameday start|approve|status|continue|hold|reject|abort|note|conclude|action|handover|list`');
    expect(topics[3]).toMatch(/`\/chaos halt[^`]*`[\s\S]*`\/chaos resume`[\s\S]*`\/chaos freeze add\|list\|remove`/);
    expect(reply.sections.join('\n').length).toBeLessThan(2137);
  });

  it('`help <topic>` shows that topic with each form of its commands, any case, singular or plural', async () => {
    for (const line of ['/chaos help gamedays', '/chaos help GameDay', '/chaos help game days']) {
      const reply = await help(line);
      expect(reply.title, line).toBe('Faultline commands: game days');
      const [section] = reply.sections;
      for (const form of ['start <name> [--channel #c]', 'approve|status <gd-id>', 'continue <gd-id> [conclusion]', 'hold|reject|abort <gd-id> [reason]', 'note|conclude <gd-id> <text>', 'action <gd-id> <owner> <text> [due YYYY-MM-DD]', 'handover <gd-id> <user>', 'list']) expect(section).toContain(`\`/chaos gameday ${form}\``);
      expect(section).toContain('(only the commander continues; anyone aborts)');
      expect(codeBlocks(section!)).toEqual(['```/chaos gameday start checkout-latency-gameday```']);
      expect(reply.ephemeral).toBe(true);
    }
    const safety = (await help('/chaos help Safety')).sections.join('\n');
    expect(safety).toContain('`/chaos freeze remove <id>`');
    expect(safety).toContain('`/chaos resume` lift the halt; approved experiments may start again');
    expect(safety).not.toContain('/chaos propose');
    const schedules = (await help('/chaos help schedule')).sections.join('\n');
    expect(schedules).toContain('`/chaos schedule approve <id> [for 7d]`');
    expect(schedules.length).toBeLessThan(1500);
    const experiments = (await help('/chaos help experiment')).sections.join('\n');
    expect(experiments).toContain('`/chaos abort <id> [reason]` abort now and revert; anyone may, no approval needed');
    expect(experiments.length).toBeLessThan(1500);
  });

  it('an unknown topic answers with the topic list', async () => {
    const reply = await help('/chaos help frobnication');
    expect(reply.title).toBe('No help topic "frobnication"');
    expect(reply.sections.join('\n')).toContain('Topics: experiments, gamedays, schedules, safety, other');
    expect(reply.ephemeral).toBe(true);
  });
});
