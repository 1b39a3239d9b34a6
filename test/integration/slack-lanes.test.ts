import { afterEach, describe, expect, it } from 'vitest';
import type { SlackCall } from '../fakes/slack-api.js';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { CHANNEL, runningViaSlack as running, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const wire = (c: SlackCall) => JSON.stringify(c.params);

describe('Slack delivery lanes: a 429 storm on chat.update', () => {
  it('the abort reply lands during the storm; after it the newest card goes out once; one update per message per second', async () => {
    h = await startSlackHarness();
    await waitUntil('traffic', async () => (await statsRequests(h!.sandbox.adminUrl)) >= 40);
    const { id, cardTs } = await running(h, 'checkout-latency duration=1m');
    const REFUSALS = 6;
    const RETRY_AFTER_S = 2; // the notifier tries again once per Retry-After: the storm lasts about 12 s, longer than the abort's run
    h.api.rateLimit('chat.update', { times: REFUSALS, retryAfterSeconds: RETRY_AFTER_S });
    await h.api.waitFor((c) => c.method === 'chat.update' && c.outcome === 'rate_limited', 10_000);

    expect((await h.click('abort', id, 'U0CAROL')).status).toBe(200);
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h!.sandbox.adminUrl)).length === 0, 5000);
    await h.bot.app.engine.runner.settle();
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('aborted');
    const endedBeforeStormEnded = h.api.callsTo('chat.update', 'rate_limited').length < REFUSALS;
    await h.bot.app.engine.notifier.flush();

    const refused = h.api.callsTo('chat.update', 'rate_limited');
    expect(refused).toHaveLength(REFUSALS);
    const stormEnd = refused.at(-1)!.at;
    // The abort answer reached Slack before the storm ended: replies do not wait behind chat.update.
    const abortReply = h.api.callsTo('chat.postMessage', 'ok').find((c) => c.params.thread_ts === cardTs && /aborted by/.test(wire(c)));
    expect(abortReply).toBeDefined();
    expect(abortReply!.at).toBeLessThan(stormEnd);
    expect(endedBeforeStormEnded).toBe(true);

    const cardUpdates = h.api.calls.filter((c) => c.method === 'chat.update' && c.params.ts === cardTs);
    const delivered = cardUpdates.filter((c) => c.outcome === 'ok');
    const after = delivered.filter((c) => c.at > stormEnd);
    // The experiment ended during the storm: the one update after it is the terminal card, not a stale one first.
    expect(after).toHaveLength(1);
    expect(wire(after[0]!)).toContain('aborted');
    expect(delivered.filter((c) => c.at > stormEnd || /aborted/.test(wire(c)))).toHaveLength(1);
    expect(h.api.message(CHANNEL, cardTs)!.updates).toBe(delivered.length);
    // Every chat.update of the card, refused or not, a second or more after the one before (as the stand-in saw them).
    for (let i = 1; i < cardUpdates.length; i++) expect(cardUpdates[i]!.at - cardUpdates[i - 1]!.at, `update ${i}`).toBeGreaterThanOrEqual(1000);

    const thread = h.threadTexts(cardTs).join('\n');
    for (const phrase of ['aborted by', 'fault reverted', 'post-mortem draft']) expect(thread, phrase).toContain(phrase);
  });
});
