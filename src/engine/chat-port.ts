import type { Message } from '../core/message.js';
import type { MessageRef } from '../core/ports.js';

/** How the engine talks to people. Implemented by the console and by Slack. */
export interface ChatPort {
  post(channel: string, msg: Message): Promise<MessageRef>;
  update(ref: MessageRef, msg: Message): Promise<void>;
  reply(ref: MessageRef, msg: Message): Promise<MessageRef>;
  /** A link people can open to the message (and its thread), where the chat has one. */
  permalink?(ref: MessageRef): Promise<string | undefined>;
}
