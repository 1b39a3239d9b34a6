import type { WebClient } from '@slack/web-api';
import type { Message } from '../../../core/message.js';
import type { MessageRef } from '../../../core/ports.js';
import { wrapError } from '../../../core/errors.js';
import type { ChatPort } from '../../../engine/chat-port.js';
import { messageToBlocks } from './blocks.js';

/**
 * The engine's chat port over the Slack Web API: a post is a channel message, an update rewrites it
 * in place (`chat.update`), a reply goes into its thread. Rate limits and outages are the WebClient's
 * retry policy's business (it honours Retry-After); the engine's Notifier keeps them off its path.
 */
export class SlackChat implements ChatPort {
  constructor(private readonly client: WebClient) {}

  async post(channel: string, msg: Message): Promise<MessageRef> {
    const { text, blocks } = messageToBlocks(msg);
    try {
      const res = await this.client.chat.postMessage({ channel, text, blocks, unfurl_links: false });
      return { channel: res.channel ?? channel, ts: String(res.ts) };
    } catch (err) {
      throw wrapError('adapter_error', `chat.postMessage to ${channel} failed`, err, { channel });
    }
  }

  async update(ref: MessageRef, msg: Message): Promise<void> {
    const { text, blocks } = messageToBlocks(msg);
    try {
      await this.client.chat.update({ channel: ref.channel, ts: ref.ts, text, blocks });
    } catch (err) {
      throw wrapError('adapter_error', `chat.update of ${ref.channel}/${ref.ts} failed`, err, { ...ref });
    }
  }

  async reply(ref: MessageRef, msg: Message): Promise<MessageRef> {
    const { text, blocks } = messageToBlocks(msg);
    try {
      const res = await this.client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, blocks, unfurl_links: false });
      return { channel: res.channel ?? ref.channel, ts: String(res.ts) };
    } catch (err) {
      throw wrapError('adapter_error', `thread reply in ${ref.channel}/${ref.ts} failed`, err, { ...ref });
    }
  }
}
