import type { Message } from '../core/message.js';
import type { MessageRef } from '../core/ports.js';

/** A file to post into a thread: where it lives on disk, and its text. */
export interface ChatFile {
  path: string;
  filename: string;
  title: string;
  content: string;
}

/** How the engine talks to people. Implemented by the console and by Slack. */
export interface ChatPort {
  post(channel: string, msg: Message): Promise<MessageRef>;
  update(ref: MessageRef, msg: Message): Promise<void>;
  reply(ref: MessageRef, msg: Message): Promise<MessageRef>;
  /** A link people can open to the message (and its thread), where the chat has one. */
  permalink?(ref: MessageRef): Promise<string | undefined>;
  /**
   * Posts a file into the thread of `ref`, where the chat takes files (Slack: files:write). Rejects
   * when the upload fails; the Notifier then replies with the path instead.
   */
  upload?(ref: MessageRef, file: ChatFile): Promise<void>;
}
