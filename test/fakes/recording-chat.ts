import { withSubject, type Message } from '../../src/core/message.js';
import type { MessageRef } from '../../src/core/ports.js';
import type { ChatPort } from '../../src/core/ports.js';
import { plainMentions } from '../../src/core/mention.js';

export type ChatMode = 'ok' | 'fail' | 'hang';

export interface ChatCall {
  op: 'post' | 'update' | 'reply';
  channel: string;
  ref?: MessageRef;
  msg: Message;
  at: number;
  /** `ok` delivered, `failed` rejected, `hung` never answered. */
  outcome: 'ok' | 'failed' | 'hung';
}

/** Flattens a message into one searchable string. */
export function messageText(input: Message): string {
  const msg = withSubject(input);
  // People as the console shows them (mention tokens as their labels).
  return plainMentions([msg.title ?? '', ...msg.fields.map((f) => `${f.label}: ${f.value}`), ...msg.sections].join('\n'));
}

/**
 * A ChatPort that records every post, update and reply. `mode` switches it to reject every call
 * (chat API down) or to never answer (chat API hanging), to prove the engine never waits on chat.
 */
export class RecordingChat implements ChatPort {
  readonly calls: ChatCall[] = [];
  mode: ChatMode = 'ok';
  private seq = 0;
  /** Direct messages, when the chat takes them (`directs: true`). */
  readonly directs: Array<{ user: string; msg: Message }> = [];
  direct?: (user: string, msg: Message) => Promise<MessageRef>;
  userByEmail?: (email: string) => Promise<string | undefined>;
  history?: (channel: string, fromMs: number, toMs: number) => Promise<Array<{ user: string; text: string; at: number }>>;
  /** People's messages per channel, what `history` reads back (`history: true`). */
  readonly said: Array<{ channel: string; user: string; text: string; at: number }> = [];

  /** `people`: chat users by email (the on-call handshake finds on-calls with it); `directs`: the chat takes DMs. */
  constructor(opts: { people?: Record<string, string>; directs?: boolean; history?: boolean | 'fail' } = {}) {
    if (opts.history === 'fail') this.history = async () => Promise.reject(new Error('missing_scope: channels:history'));
    else if (opts.history) this.history = async (channel, from, to) => this.said.filter((m) => m.channel === channel && m.at >= from && m.at <= to).map(({ user, text, at }) => ({ user, text, at }));
    const people = opts.people;
    if (people) this.userByEmail = async (email) => people[email.toLowerCase()];
    if (opts.directs) {
      this.direct = async (user, msg) => {
        this.directs.push({ user, msg });
        return { channel: `D-${user}`, ts: `${Date.now()}.d${++this.seq}` };
      };
    }
  }

  post(channel: string, msg: Message): Promise<MessageRef> {
    return this.answer({ op: 'post', channel, msg }, () => ({ channel, ts: `${Date.now()}.${String(++this.seq).padStart(6, '0')}` }));
  }

  update(ref: MessageRef, msg: Message): Promise<void> {
    return this.answer({ op: 'update', channel: ref.channel, ref, msg }, () => undefined);
  }

  reply(ref: MessageRef, msg: Message): Promise<MessageRef> {
    return this.answer({ op: 'reply', channel: ref.channel, ref, msg }, () => ({ channel: ref.channel, ts: `${ref.ts}.r${++this.seq}` }));
  }

  delivered(op?: ChatCall['op']): ChatCall[] {
    return this.calls.filter((c) => c.outcome === 'ok' && (op === undefined || c.op === op));
  }

  /** Everything delivered as a thread reply or channel post (not card updates), as text. */
  transcript(): string {
    return this.calls
      .filter((c) => c.outcome === 'ok' && c.op !== 'update')
      .map((c) => messageText(c.msg))
      .join('\n');
  }

  private answer<T>(call: Omit<ChatCall, 'at' | 'outcome'>, value: () => T): Promise<T> {
    const mode = this.mode;
    const outcome = mode === 'ok' ? 'ok' : mode === 'fail' ? 'failed' : 'hung';
    this.calls.push({ ...call, at: Date.now(), outcome });
    if (mode === 'fail') return Promise.reject(new Error('chat API unavailable (503)'));
    if (mode === 'hang') return new Promise<T>(() => undefined);
    return Promise.resolve(value());
  }
}
