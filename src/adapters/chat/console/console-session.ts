import { clearLine, createInterface, cursorTo } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Command } from '../../../../commands/index.js';
import { dispatch } from '../../../../commands/index.js';
import type { AdapterLogger } from '../../../core/ports.js';
import type { EngineFacade } from '../../../engine/facade.js';
import type { ConsoleChat } from './console-chat.js';
import { renderMessage } from './renderer.js';
import type { ConsoleChatConfig } from './schema.js';
import { errorText } from '../../../core/errors.js';

const USER = /^[A-Za-z0-9._-]{1,64}$/;

/** One person (or script) at the console: `/as <user>` switches who is typing. */
export class ConsoleSession {
  user: string;
  private closed = false;

  constructor(
    private readonly opts: {
      engine: EngineFacade;
      log: AdapterLogger;
      registry: ReadonlyMap<string, Command>;
      config: ConsoleChatConfig;
      write: (text: string) => void;
      echo: boolean;
      team?: string;
    },
  ) {
    this.user = opts.config.user;
  }

  get done(): boolean {
    return this.closed;
  }

  /** Runs one typed line to its answer. */
  async handle(line: string): Promise<void> {
    const { write } = this.opts;
    const text = line.trim();
    if (!text || text.startsWith('#')) return;
    if (this.opts.echo) write(`${this.user}> ${text}`);
    if (text === '/quit' || text === '/exit') {
      this.closed = true;
      return;
    }
    const as = /^\/as(?:\s+(\S+))?$/.exec(text);
    if (as) {
      if (!as[1] || !USER.test(as[1])) write('  usage: /as <user>   (letters, digits, . _ -)');
      else {
        this.user = as[1];
        write(`  (now typing as ${this.user})`);
      }
      return;
    }
    if (text === '/help' || text === 'help') return this.handle('/chaos help');
    if (!text.startsWith('/chaos')) {
      write('  commands start with /chaos (try /chaos help); /as <user> switches who is typing; /quit leaves');
      return;
    }
    const actor = { id: this.user, ...(this.opts.team ? { team: this.opts.team } : {}) };
    const reply = await dispatch(text, { actor, channel: this.opts.config.channel, engine: this.opts.engine, log: this.opts.log }, this.opts.registry);
    write(renderMessage(reply));
  }
}

/**
 * The interactive console. Without a terminal it reads one command per line, runs each to its
 * answer, and at the end of input waits for running experiments to finish before it returns.
 */
export async function runConsole(opts: {
  input: Readable;
  output: Writable;
  interactive: boolean;
  engine: EngineFacade;
  log: AdapterLogger;
  registry: ReadonlyMap<string, Command>;
  config: ConsoleChatConfig;
  team?: string;
  /** The chat the engine posts to; at a terminal its output is printed above the prompt. */
  chat?: ConsoleChat;
  onInterrupt?: () => void;
}): Promise<void> {
  const plain = (text: string) => opts.output.write(`${text}\n`);
  const out = opts.output as NodeJS.WriteStream;
  const rl = createInterface({ input: opts.input, output: opts.interactive ? opts.output : undefined, terminal: opts.interactive });
  let session: ConsoleSession | undefined;
  // At a terminal, everything (replies and the engine's async posts) prints above the prompt.
  const write = opts.interactive
    ? (text: string) => {
        clearLine(out, 0);
        cursorTo(out, 0);
        plain(text);
        if (session && !session.done) rl.prompt(true);
      }
    : plain;
  session = new ConsoleSession({ ...opts, write, echo: !opts.interactive });
  const current = session;
  opts.chat?.setWriter(write);
  const prompt = () => {
    if (!opts.interactive || current.done) return;
    rl.setPrompt(`${current.user}> `);
    rl.prompt();
  };
  // Ctrl-C at the prompt means what it means anywhere else: abort, revert, exit.
  if (opts.interactive && opts.onInterrupt) rl.on('SIGINT', opts.onInterrupt);
  // Lines run strictly one after another, as a person would type them.
  let chain = Promise.resolve();
  const closed = new Promise<void>((resolve) => rl.on('close', resolve));
  rl.on('line', (line) => {
    chain = chain
      .then(() => current.handle(line))
      .then(
        () => (current.done ? rl.close() : prompt()),
        (err: unknown) => {
          write(`  error: ${errorText(err)}`);
          prompt();
        },
      );
  });
  prompt();
  await closed;
  await chain;
  if (opts.engine.busy()) write('  (waiting for running experiments to finish: reverted and checked)');
  await opts.engine.settle();
}
