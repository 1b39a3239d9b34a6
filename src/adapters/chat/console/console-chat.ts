import type { Message } from '../../../core/message.js';
import type { MessageRef } from '../../../core/ports.js';
import type { ChatFile, ChatPort } from '../../../core/ports.js';
import { renderMessage, renderReply, renderStatusLine } from './renderer.js';

/** The chat port for a terminal: posts print a card, updates a status line, replies an indented line. */
export class ConsoleChat implements ChatPort {
  private seq = 0;
  private readonly lastStatus = new Map<string, string>();

  constructor(private write: (text: string) => void) {}

  /** The interactive console swaps in a writer that keeps the prompt intact under async output. */
  setWriter(write: (text: string) => void): void {
    this.write = write;
  }

  /** A console user is whatever name follows `/as`: an on-call is the part of their email before the `@` (carol@example.com is `/as carol`). */
  async userByEmail(email: string): Promise<string | undefined> {
    return email.split('@')[0]?.trim() || undefined;
  }

  async post(channel: string, msg: Message): Promise<MessageRef> {
    this.write(renderMessage(msg));
    return { channel, ts: String(++this.seq) };
  }

  async update(ref: MessageRef, msg: Message): Promise<void> {
    const line = renderStatusLine(msg);
    if (this.lastStatus.get(ref.ts) === line) return;
    this.lastStatus.set(ref.ts, line);
    this.write(line);
  }

  async reply(ref: MessageRef, msg: Message): Promise<MessageRef> {
    this.write(renderReply(msg));
    return { channel: ref.channel, ts: `${ref.ts}.${++this.seq}` };
  }

  /** A terminal shows no files: the thread gets a line naming where the file is. */
  async upload(_ref: MessageRef, file: ChatFile): Promise<void> {
    this.write(`  ↳ 📎 ${file.title}: ${file.path}`);
  }
}
