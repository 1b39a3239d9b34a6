import { afterEach, describe, expect, it } from 'vitest';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { runningViaSlack as running, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Slack rate limiting during a run', () => {
  it('a 429 storm: the abort is still immediate and no thread event is lost', async () => {
    h = await startSlackHarness();
    await waitUntil('traffic', async () => (await statsRequests(h!.sandbox.adminUrl)) >= 40);
    const { id, cardTs } = await running(h, 'checkout-latency duration=1m');
    const REFUSALS = 8; // a second each, one after the other: the storm lasts about 8 s
    h.api.rateLimit('*', { times: REFUSALS, retryAfterSeconds: 1 });
    const click = await h.click('abort', id, 'U0CAROL');
    expect(click.status).toBe(200);
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h!.sandbox.adminUrl)).length === 0, 5000);
    // The revert did not queue behind the limit: when the fault was gone, the limit's refusals were not all used up yet.
    const clearedAt = Date.now();
    expect(h.api.calls.filter((c) => c.outcome === 'rate_limited' && c.at <= clearedAt).length).toBeLessThan(REFUSALS);
    await h.bot.app.engine.runner.settle();
    await h.bot.app.engine.notifier.flush();
    expect(h.api.callsTo('chat.postMessage', 'rate_limited').length + h.api.callsTo('chat.update', 'rate_limited').length).toBeGreaterThan(0);
    const thread = h.threadTexts(cardTs).join('\n');
    for (const phrase of ['approved by', 'started by', 'fault injected', 'aborted by', 'fault reverted', 'steady state after', 'post-mortem draft']) expect(thread, phrase).toContain(phrase);
    expect(h.bot.app.engine.experiments.get(id).record.abort?.by.id).toBe('U0CAROL');
  });

});
