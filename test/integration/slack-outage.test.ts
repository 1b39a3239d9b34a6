import { afterEach, describe, expect, it } from 'vitest';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { CHANNEL, runningViaSlack as running, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Slack down during a run', () => {
  it('Slack down for 30 s: the run goes on, an abort still reverts at once, and the channel catches up when Slack returns', async () => {
    h = await startSlackHarness();
    await waitUntil('traffic', async () => (await statsRequests(h!.sandbox.adminUrl)) >= 40);
    const { id, cardTs } = await running(h, 'checkout-latency duration=1m');
    h.api.setDown(true);
    const downAt = Date.now();
    // The guardrail loop keeps sampling while every Web API call fails.
    const readingsBefore = h.bot.app.store.journal(id).filter((e) => e.kind === 'reading').length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(h.bot.app.store.journal(id).filter((e) => e.kind === 'reading').length).toBeGreaterThan(readingsBefore + 2);

    const click = await h.click('abort', id, 'U0CAROL');
    expect(click.status).toBe(200);
    // Slack stays down until the 30 s are over: the revert cannot have waited on it.
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h!.sandbox.adminUrl)).length === 0, 5000);
    expect(h.api.calls.filter((c) => c.outcome === 'ok' && c.at >= downAt)).toEqual([]);
    await h.bot.app.service.runner.settle();
    expect(h.bot.app.service.get(id).record.state).toBe('aborted');
    expect(h.api.callsTo('chat.postMessage', 'down').length + h.api.callsTo('chat.update', 'down').length).toBeGreaterThan(0);

    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - downAt))));
    h.api.setDown(false);
    await h.bot.app.service.notifier.flush();
    const thread = h.threadTexts(cardTs).join('\n');
    for (const phrase of ['fault injected', 'aborted by', 'fault reverted', 'steady state after', 'post-mortem draft']) expect(thread, phrase).toContain(phrase);
    expect(JSON.stringify(h.api.message(CHANNEL, cardTs)!.blocks)).toContain('aborted');
  }, 90_000);
});
