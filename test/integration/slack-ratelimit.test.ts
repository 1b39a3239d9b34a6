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
    h.api.rateLimit('*', { times: 12, retryAfterSeconds: 1 });
    const t0 = Date.now();
    const click = await h.click('abort', id, 'U0CAROL');
    expect(click.status).toBe(200);
    expect(click.ms).toBeLessThan(3000);
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h!.sandbox.adminUrl)).length === 0, 5000);
    expect(Date.now() - t0).toBeLessThan(1500);
    await h.bot.app.service.runner.settle();
    await h.bot.app.service.notifier.flush();
    expect(h.api.callsTo('chat.postMessage', 'rate_limited').length + h.api.callsTo('chat.update', 'rate_limited').length).toBeGreaterThan(0);
    const thread = h.threadTexts(cardTs).join('\n');
    for (const phrase of ['approved by', 'started by', 'fault injected', 'aborted by', 'fault reverted', 'steady state after', 'post-mortem draft']) expect(thread, phrase).toContain(phrase);
    expect(h.bot.app.service.get(id).record.abort?.by.id).toBe('U0CAROL');
  });

});
