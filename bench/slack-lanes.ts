/**
 * Delivery lanes under a 429 storm: 50 concurrent experiments over 5 channels, driven through the
 * engine's Notifier with the real SlackChat and WebClient against the Web API stand-in. Every card is
 * updated four times a second while chat.update answers 429 (Retry-After 2 s) for 14 s; each experiment
 * gets a thread reply and an abort reply during the storm, and its final state just before the storm
 * ends. Prints lost final states (goal 0), the peak of chat.update calls per message in any second
 * (goal ≤ 1) and how late the thread replies reached Slack (goal ≤ the Retry-After).
 */
import { LogLevel, WebClient } from '@slack/web-api';
import { SlackChat } from '../src/adapters/chat/slack/slack-chat.js';
import { systemClock } from '../src/core/clock.js';
import { message } from '../src/core/message.js';
import type { AdapterLogger, MessageRef } from '../src/core/ports.js';
import { Notifier } from '../src/engine/chat/notifier.js';
import { SlackApiStandIn } from '../test/fakes/slack-api.js';
import { percentile } from './stats.js';

const EXPERIMENTS = 50;
const CHANNELS = 5;
const RETRY_AFTER_S = 2;
const STORM_MS = 14_000;
const UPDATE_EVERY_MS = 250;
const silent: AdapterLogger = { info() {}, warn() {}, error() {}, debug() {} };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const card = (id: string, state: string) => message({ title: `${id} · bench`, fields: [{ label: 'State', value: state }] });

export async function benchSlackLanes(log: (line: string) => void): Promise<void> {
  const api = await SlackApiStandIn.start();
  try {
    const client = new WebClient('xoxb-bench', { slackApiUrl: api.url, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true });
    const chat = new SlackChat(client, { maxRateLimitWaitMs: 60_000, log: silent });
    const notifier = new Notifier(chat, systemClock(), silent, 1000);
    const ids = Array.from({ length: EXPERIMENTS }, (_, i) => `exp-${String(i).padStart(3, '0')}`);
    const channelOf = (i: number) => `C0BENCH${i % CHANNELS}`;

    const refs = await Promise.all(ids.map((id, i) => notifier.postCard(id, channelOf(i), card(id, 'running'))));
    await notifier.flush();
    if (refs.some((r) => !r)) throw new Error('a card was not posted');

    const replyAsked = new Map<string, number>();
    const reply = (i: number, text: string, urgent = false) => {
      replyAsked.set(text, Date.now());
      notifier.reply(ids[i]!, refs[i]!, channelOf(i), message({ sections: [text] }), { urgent });
    };
    api.rateLimit('chat.update', { times: 1_000_000, retryAfterSeconds: RETRY_AFTER_S });
    const stormStart = Date.now();
    let tick = 0;
    const ticker = setInterval(() => {
      tick += 1;
      ids.forEach((id, i) => notifier.updateCard(id, refs[i] as MessageRef, card(id, `running, round ${tick}`)));
    }, UPDATE_EVERY_MS);
    // Per channel, ten experiments: one reply each about 1.2 s apart (Slack's pace), then the aborts together.
    const perChannel = EXPERIMENTS / CHANNELS;
    for (let k = 0; k < perChannel; k++) {
      for (let c = 0; c < CHANNELS; c++) reply(k * CHANNELS + c, `${ids[k * CHANNELS + c]}: fault injected; watching guardrails`);
      await sleep(1200);
    }
    ids.forEach((id, i) => reply(i, `${id}: aborted by faultline: guardrail breached; reverting`, true));
    await sleep(Math.max(0, stormStart + STORM_MS - 1000 - Date.now()));
    clearInterval(ticker);
    ids.forEach((id, i) => notifier.updateCard(id, refs[i] as MessageRef, card(id, 'aborted (final)'), true));
    await sleep(Math.max(0, stormStart + STORM_MS - Date.now()));
    api.rateLimit('chat.update', { times: 0, retryAfterSeconds: RETRY_AFTER_S });
    const stormEnd = Date.now();
    await notifier.flush();

    const lost = refs.filter((r) => !JSON.stringify(api.message(r!.channel, r!.ts)?.blocks ?? []).includes('aborted (final)')).length;
    const finalsSent = api.callsTo('chat.update', 'ok').filter((c) => JSON.stringify(c.params).includes('aborted (final)')).length;
    let peak = 0;
    for (const r of refs) {
      const times = api.callsTo('chat.update').filter((c) => c.params.ts === r!.ts).map((c) => c.at);
      for (const t of times) peak = Math.max(peak, times.filter((u) => u >= t && u < t + 1000).length);
    }
    const delays = (pattern: RegExp) =>
      api
        .callsTo('chat.postMessage', 'ok')
        .map((c) => ({ text: JSON.stringify(c.params), at: c.at }))
        .flatMap(({ text, at }) => [...replyAsked].filter(([t]) => pattern.test(t) && text.includes(t)).map(([, asked]) => at - asked));
    const normal = delays(/fault injected/);
    const aborts = delays(/aborted by/);
    const refused = api.callsTo('chat.update', 'rate_limited').length;
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    log(`slack lanes: ${EXPERIMENTS} experiments over ${CHANNELS} channels, cards updated every ${UPDATE_EVERY_MS} ms, chat.update 429 (Retry-After ${RETRY_AFTER_S} s) for ${((stormEnd - stormStart) / 1000).toFixed(1)} s: ${refused} refused, ${api.callsTo('chat.update', 'ok').length} delivered`);
    log(`  lost final states: ${lost} of ${EXPERIMENTS} (goal 0); final states sent: ${finalsSent} (goal ${EXPERIMENTS}, once each)`);
    log(`  peak chat.update calls per message in any second: ${peak} (goal ≤ 1)`);
    log(`  thread replies during the storm: n=${normal.length} p50=${ms(percentile(normal, 50))} max=${ms(Math.max(...normal))}; abort replies n=${aborts.length} p50=${ms(percentile(aborts, 50))} max=${ms(Math.max(...aborts))} (goal ≤ ${RETRY_AFTER_S * 1000} ms)`);
  } finally {
    await api.close();
  }
}
