import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FaultlineError } from '../../src/core/errors.js';
import { message, type Message } from '../../src/core/message.js';
import type { ChatPort, MessageRef } from '../../src/core/ports.js';
import { Notifier } from '../../src/engine/chat/notifier.js';
import { RecordingLog } from '../fakes/recording-log.js';

interface Call {
  op: 'post' | 'update' | 'reply';
  channel: string;
  ts?: string;
  text: string;
  at: number;
  outcome: 'ok' | 'rate_limited';
}

/**
 * A chat port like RecordingChat whose chat.update can be refused with a rate limit (Retry-After) until
 * a given time, the way SlackChat rejects a 429 on chat.update. Time is the fake timers' clock.
 */
class LimitedChat implements ChatPort {
  readonly calls: Call[] = [];
  updateLimitedUntil = Number.NEGATIVE_INFINITY;
  retryAfterMs = 1000;
  private seq = 0;

  post(channel: string, msg: Message): Promise<MessageRef> {
    this.calls.push({ op: 'post', channel, text: textOf(msg), at: Date.now(), outcome: 'ok' });
    return Promise.resolve({ channel, ts: `100.${++this.seq}` });
  }

  update(ref: MessageRef, msg: Message): Promise<void> {
    const limited = Date.now() < this.updateLimitedUntil;
    this.calls.push({ op: 'update', channel: ref.channel, ts: ref.ts, text: textOf(msg), at: Date.now(), outcome: limited ? 'rate_limited' : 'ok' });
    if (limited) return Promise.reject(new FaultlineError('adapter_error', 'chat.update failed: ratelimited', { ...ref, retryAfterMs: this.retryAfterMs }));
    return Promise.resolve();
  }

  reply(ref: MessageRef, msg: Message): Promise<MessageRef> {
    this.calls.push({ op: 'reply', channel: ref.channel, ts: ref.ts, text: textOf(msg), at: Date.now(), outcome: 'ok' });
    return Promise.resolve({ channel: ref.channel, ts: `${ref.ts}.r${++this.seq}` });
  }

  delivered(op: Call['op']): Call[] {
    return this.calls.filter((c) => c.op === op && c.outcome === 'ok');
  }
}

const textOf = (msg: Message) => [msg.title ?? '', ...msg.sections].filter((s) => s !== '').join(' | ');
const card = (state: string) => message({ title: 'exp-1', sections: [state] });
const say = (text: string) => message({ sections: [text] });
const clock = { now: () => Date.now() };

/** The largest number of delivered updates of one message inside any window of `ms`. */
function peakPer(calls: Call[], ms: number): number {
  let peak = 0;
  for (const c of calls) peak = Math.max(peak, calls.filter((d) => d.ts === c.ts && d.at >= c.at && d.at < c.at + ms).length);
  return peak;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

async function posted(n: Notifier, chat: LimitedChat): Promise<MessageRef> {
  const ref = await n.postCard('exp-1', 'C1', card('proposed'));
  expect(ref).toBeDefined();
  expect(chat.calls).toHaveLength(1);
  return ref!;
}

describe('Notifier lanes', () => {
  it('a reply never waits behind a rate-limited chat.update; after the wait the newest state is sent once', async () => {
    const chat = new LimitedChat();
    const n = new Notifier(chat, clock, new RecordingLog(), 1000);
    const ref = await posted(n, chat);
    chat.updateLimitedUntil = Date.now() + 16_000; // a storm: every update for 16 s is refused
    chat.retryAfterMs = 4000;

    n.updateCard('exp-1', ref, card('running: injecting'));
    await vi.advanceTimersByTimeAsync(0);
    expect(chat.calls.at(-1)).toMatchObject({ op: 'update', outcome: 'rate_limited' });
    n.updateCard('exp-1', ref, card('running: observing'));
    n.reply('exp-1', ref, 'C1', say('exp-1: fault injected; watching guardrails'));
    n.reply('exp-1', ref, 'C1', say('exp-1: aborted by faultline: guardrail breached; reverting'), { urgent: true });
    n.updateCard('exp-1', ref, card('running: reverting'));
    await vi.advanceTimersByTimeAsync(0);
    // Both replies are in Slack while the storm goes on.
    expect(chat.delivered('reply').map((c) => c.text)).toEqual(['exp-1: fault injected; watching guardrails', 'exp-1: aborted by faultline: guardrail breached; reverting']);
    expect(Date.now()).toBeLessThan(chat.updateLimitedUntil);

    n.updateCard('exp-1', ref, card('aborted'), true);
    await vi.advanceTimersByTimeAsync(20_000);
    await n.flush();
    const updates = chat.calls.filter((c) => c.op === 'update');
    // Retried once per Retry-After, never more often; the first update after the storm is the newest state.
    expect(updates.filter((c) => c.outcome === 'rate_limited').length).toBe(4);
    expect(chat.delivered('update').map((c) => c.text)).toEqual(['exp-1 | aborted']);
  });

  it('at most one chat.update per message per second, coalesced to the newest, and the final state exactly once', async () => {
    const chat = new LimitedChat();
    const n = new Notifier(chat, clock, new RecordingLog(), 1000);
    const ref = await posted(n, chat);
    for (let i = 0; i < 50; i++) {
      n.updateCard('exp-1', ref, card(`running ${i}`));
      await vi.advanceTimersByTimeAsync(100);
    }
    n.updateCard('exp-1', ref, card('completed'), true);
    n.updateCard('exp-1', ref, card('completed'), true); // the old double force: sent once
    await vi.advanceTimersByTimeAsync(5000);
    n.updateCard('exp-1', ref, card('completed'), true); // and again later: still once
    await n.flush();
    const updates = chat.delivered('update');
    expect(peakPer(updates, 1000)).toBe(1);
    expect(updates.filter((c) => c.text === 'exp-1 | completed')).toHaveLength(1);
    expect(updates.at(-1)!.text).toBe('exp-1 | completed');
    expect(updates.length).toBeLessThanOrEqual(7);
  });

  it('posts and replies in one channel are smoothed to about one a second, in order; other channels do not wait', async () => {
    const chat = new LimitedChat();
    const n = new Notifier(chat, clock, new RecordingLog(), 1000, () => {}, { postBurst: 1 });
    const ref = await posted(n, chat);
    for (let i = 1; i <= 5; i++) n.reply('exp-1', ref, 'C1', say(`step ${i}`));
    void n.postCard('exp-2', 'C2', card('proposed'));
    await vi.advanceTimersByTimeAsync(0);
    expect(chat.calls.filter((c) => c.channel === 'C2')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10_000);
    await n.flush();
    const replies = chat.delivered('reply');
    expect(replies.map((c) => c.text)).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    for (let i = 1; i < replies.length; i++) expect(replies[i]!.at - replies[i - 1]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('an abort or halt answer skips the smoothing and goes before replies that wait', async () => {
    const chat = new LimitedChat();
    const n = new Notifier(chat, clock, new RecordingLog(), 1000, () => {}, { postBurst: 1 });
    const ref = await posted(n, chat);
    for (let i = 1; i <= 3; i++) n.reply('exp-1', ref, 'C1', say(`reading ${i}`));
    n.reply('exp-1', ref, 'C1', say('exp-1: aborted by carol: halt: everything stops; reverting'), { urgent: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(chat.delivered('reply').map((c) => c.text)[0]).toBe('exp-1: aborted by carol: halt: everything stops; reverting');
    await n.flush();
    expect(chat.delivered('reply')).toHaveLength(4);
  });

  it('flush sends what waits on the pace and waits out a rate limit before it returns', async () => {
    const chat = new LimitedChat();
    const n = new Notifier(chat, clock, new RecordingLog(), 1000);
    const ref = await posted(n, chat);
    n.updateCard('exp-1', ref, card('running'));
    await vi.advanceTimersByTimeAsync(0);
    n.updateCard('exp-1', ref, card('completed'));
    let flushed = false;
    void n.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(true);
    expect(chat.delivered('update').map((c) => c.text)).toEqual(['exp-1 | running', 'exp-1 | completed']);

    chat.updateLimitedUntil = Date.now() + 3000;
    n.updateCard('exp-1', ref, card('completed, post-mortem linked'), true);
    flushed = false;
    void n.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(2000);
    expect(flushed).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(flushed).toBe(true);
    expect(chat.delivered('update').at(-1)!.text).toBe('exp-1 | completed, post-mortem linked');
  });
});
