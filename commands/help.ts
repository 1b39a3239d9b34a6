import { z } from 'zod';
import { message, type Message } from '../src/core/message.js';
import { defineCommand, type Command } from './command.js';

/** One topic of the help: its commands by name, and one line a person can copy. */
export interface HelpTopic {
  key: string;
  title: string;
  /** Other words `/chaos help <word>` accepts for it (the key's singular, short forms). */
  aliases: readonly string[];
  commands: readonly string[];
  example: string;
}

/** The help's topics, in the order shown. A registered command in none of them is listed under Other. */
export const HELP_TOPICS: readonly HelpTopic[] = [
  {
    key: 'experiments',
    title: 'Experiments',
    aliases: ['experiment', 'exp', 'exps'],
    commands: ['propose', 'approve', 'reject', 'start', 'abort', 'cancel', 'status', 'list', 'history', 'postmortem'],
    example: '/chaos propose checkout-latency duration=2m',
  },
  {
    key: 'gamedays',
    title: 'Game days',
    aliases: ['gameday', 'game-day', 'game-days', 'gd'],
    commands: ['gameday'],
    example: '/chaos gameday start checkout-latency-gameday',
  },
  {
    key: 'schedules',
    title: 'Schedules',
    aliases: ['schedule', 'cron'],
    commands: ['schedule'],
    example: '/chaos schedule add checkout-latency "0 10 * * 1-5" --tz Europe/Berlin',
  },
  {
    key: 'safety',
    title: 'Safety',
    aliases: ['halt', 'freeze', 'freezes', 'kill-switch'],
    commands: ['halt', 'resume', 'freeze'],
    example: '/chaos halt checkout is paging',
  },
  {
    key: 'other',
    title: 'Other',
    aliases: ['others', 'help'],
    commands: ['help'],
    example: '/chaos help safety',
  },
];

const OTHER = 'other';

/** Every registered command in exactly one topic: the table's, else Other. Topics without a registered command are left out. */
export function helpTopics(registry: ReadonlyMap<string, Command>): Array<{ topic: HelpTopic; commands: Command[] }> {
  const placed = new Set<string>();
  const out = HELP_TOPICS.map((topic) => {
    const commands = topic.commands.flatMap((name) => {
      const c = registry.get(name);
      if (!c || placed.has(name)) return [];
      placed.add(name);
      return [c];
    });
    return { topic, commands };
  });
  const other = out.find((t) => t.topic.key === OTHER);
  for (const c of registry.values()) if (!placed.has(c.name)) other?.commands.push(c);
  return out.filter((t) => t.commands.length > 0);
}

/** The topic a word names (key, title or alias, any case, with or without a trailing s), if any. */
export function findTopic(word: string): HelpTopic | undefined {
  const w = word.trim().toLowerCase().replace(/\s+/g, '-');
  const names = (t: HelpTopic) => [t.key, t.title.toLowerCase().replace(/\s+/g, '-'), ...t.aliases];
  return HELP_TOPICS.find((t) => names(t).some((n) => n === w || `${n}s` === w || n === `${w}s`));
}

/** `/chaos gameday start <name> | approve|continue|status <gd-id> | list` → one form per line, each a whole command. */
export function usageForms(c: Pick<Command, 'name' | 'usage'>): string[] {
  const prefix = `/chaos ${c.name}`;
  return c.usage
    .split(' | ')
    .map((f) => f.trim())
    .filter((f) => f !== '')
    .map((f) => (f.startsWith('/chaos ') ? f : `${prefix} ${f}`));
}

/** The overview's short form: `/chaos gameday start|approve|…|list`, or the whole usage when it has one form. */
function shortUsage(c: Pick<Command, 'name' | 'usage'>): string {
  const forms = usageForms(c);
  if (forms.length <= 1) return c.usage;
  const prefix = `/chaos ${c.name} `;
  const verbs = forms.flatMap((f) => (f.startsWith(prefix) ? (f.slice(prefix.length).split(' ')[0] ?? '').split('|') : []));
  return `${prefix}${[...new Set(verbs.filter((v) => v !== ''))].join('|')}`;
}

/** The summary's first clause: "abort now and revert; anyone may, …" → "abort now and revert". */
function shortSummary(summary: string): string {
  return summary.split(/;|\s\(/)[0]!.trim();
}

const codeBlock = (text: string) => `\`\`\`${text}\`\`\``;

function overviewSection(topic: HelpTopic, commands: readonly Command[]): string {
  const lines = commands.map((c) => `\`${shortUsage(c)}\` ${shortSummary(c.summary)}`);
  return [topic.title, ...lines, codeBlock(topic.example)].join('\n');
}

function topicSection(topic: HelpTopic, commands: readonly Command[]): string {
  const lines = commands.flatMap((c) => {
    const forms = usageForms(c).map((f) => `\`${f}\``);
    return forms.length === 1 ? [`${forms[0]} ${c.summary}`] : [...forms, `  ${c.summary}`];
  });
  return [...lines, `Example: ${codeBlock(topic.example)}`].join('\n');
}

/** `/chaos help`: every topic in short; `/chaos help <topic>`: that topic in full; an unknown topic: the topics. */
export function helpMessage(registry: ReadonlyMap<string, Command>, word?: string): Message {
  const topics = helpTopics(registry);
  const keys = topics.map((t) => t.topic.key).join(', ');
  if (word === undefined || word.trim() === '') {
    const more = `One topic in full: /chaos help <topic> (${keys})`;
    return message({ title: 'Faultline commands', sections: [...topics.map((t) => overviewSection(t.topic, t.commands)), more], ephemeral: true });
  }
  const wanted = findTopic(word);
  const found = wanted && topics.find((t) => t.topic.key === wanted.key);
  if (!found) {
    return message({ title: `No help topic "${word.trim()}"`, sections: [`Topics: ${keys}. Try /chaos help ${topics[0]?.topic.key ?? 'experiments'}, or /chaos help for all of them.`], ephemeral: true });
  }
  return message({ title: `Faultline commands: ${found.topic.title.toLowerCase()}`, sections: [topicSection(found.topic, found.commands)], ephemeral: true });
}

export const helpCommand = (all: () => ReadonlyMap<string, Command>) =>
  defineCommand({
    name: 'help',
    usage: '/chaos help [topic]',
    summary: 'the commands by topic (experiments, gamedays, schedules, safety); a topic in full',
    args: z.array(z.string()),
    async run(words) {
      return helpMessage(all(), words.join(' '));
    },
  });
