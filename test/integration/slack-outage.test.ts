import { afterEach, describe, expect, it } from 'vitest';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { CHANNEL, runningViaSlack as running, startSlackHarness, type SlackHarness } from './slack-harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Slack down during a run', () => {
  it('Slack down through a run and its abort: the run goes on, the abort reverts without Slack, and the channel catches up when Slack returns', async () => {
    h = await startSlackHarness();
    await waitUntil('traffic', async () => (await statsRequests(h!.sandbox.adminUrl)) >= 40);
    const { id, cardTs } = await running(h, 'checkout-latency duration=1m');
    h.api.setDown(true);
    const downAt = Date.now();
    const failedSinceDown = () => h!.api.calls.filter((c) => c.outcome === 'down' && c.at >= downAt).length;
    // The guardrail loop keeps sampling while every Web API call fails.
    const readings = () => h!.bot.app.store.journal(id).filter((e) => e.kind === 'reading').length;
    const readingsBefore = readings();
    await waitUntil('three more readings while Slack is down', () => readings() > readingsBefore + 2);
    expect(failedSinceDown()).toBeGreaterThan(0);

    const click = await h.click('abort', id, 'U0CAROL');
    expect(click.status).toBe(200);
    // Slack stays down until the fault is reverted and the channel's calls have failed a few times over:
    // the revert cannot have waited on Slack, and what the channel missed is retried, not dropped.
    await waitUntil('the fault to be cleared', async () => (await activeFaults(h!.sandbox.adminUrl)).length === 0, 5000);
    expect(h.bot.app.engine.experiments.get(id).record.abort?.by.id).toBe('U0CAROL');
    await waitUntil('the revert on the journal', () => h!.bot.app.store.journal(id).some((e) => e.kind === 'reverted'));
    await waitUntil('three failed Slack calls since Slack went down', () => failedSinceDown() >= 3);
    expect(h.api.calls.filter((c) => c.outcome === 'ok' && c.at >= downAt)).toEqual([]);
    expect(h.api.callsTo('chat.postMessage', 'down').length + h.api.callsTo('chat.update', 'down').length).toBeGreaterThan(0);

    h.api.setDown(false);
    await h.bot.app.engine.runner.settle();
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('aborted');
    await h.bot.app.engine.notifier.flush();
    const thread = h.threadTexts(cardTs).join('\n');
    for (const phrase of ['fault injected', 'aborted by', 'fault reverted', 'steady state after', 'post-mortem draft']) expect(thread, phrase).toContain(phrase);
    expect(JSON.stringify(h.api.message(CHANNEL, cardTs)!.blocks)).toContain('aborted');
  }, 90_000);
});
