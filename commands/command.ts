import { z } from 'zod';
import type { Actor } from '../src/core/actor.js';
import type { Message } from '../src/core/message.js';
import type { AdapterLogger } from '../src/core/ports.js';
import type { EngineFacade } from '../src/engine/facade.js';

/** What a chat adapter hands the dispatcher for one line. */
export interface CommandSource {
  actor: Actor;
  channel: string;
  engine: EngineFacade;
  log: AdapterLogger;
}

/** What a command runs with: the source, its `log` bound to the command, actor and channel. */
export type CommandContext = CommandSource;

/** One chat verb. `args` parses the words after the verb; a failed parse answers with `usage`. */
export interface Command<A = unknown> {
  name: string;
  usage: string;
  summary: string;
  args: z.ZodType<A, string[]>;
  run(args: A, ctx: CommandContext): Promise<Message>;
}

export function defineCommand<A>(c: Command<A>): Command<unknown> {
  return c as Command<unknown>;
}

export const ExperimentId = z.string().regex(/^exp-[0-9a-f]{4,}$/, 'an experiment id like exp-1a2b3c');

/** Rest-of-line text such as a reason. */
export const restText = (fallback: string) => z.array(z.string()).transform((words) => words.join(' ').trim() || fallback);

/**
 * The answer to a typed command whose effect already shows on the card and in its thread (approve,
 * start, abort, reject, cancel) is for the person who typed it only: the channel sees the card change.
 */
export const ON_THE_CARD = true;
