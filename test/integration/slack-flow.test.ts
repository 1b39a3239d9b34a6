import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeFaults, statsRequests, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';

const cardOf = (h: SlackHarness, id: string) => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id));

async function proposeAs(h: SlackHarness, user: string, playbook = 'checkout-errors'): Promise<string> {
  const before = new Set(h.bot.app.engine.experiments.list(100).map((e) => e.record.id));
  const res = await h.slash(`propose ${playbook}`, user);
  expect(res.status).toBe(200);
  let id = '';
  await waitUntil('the proposal', () => {
    id = h.bot.app.engine.experiments.list(100).find((e) => !before.has(e.record.id))?.record.id ?? '';
    return id !== '';
  });
  await waitUntil('the card', () => cardOf(h, id) !== undefined);
  return id;
}

describe('Slack over HTTP: the whole flow through a real Bolt app', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => h?.close());

  it('serves /healthz', async () => {
    const res = await fetch(`${h.bot.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, mode: 'http', halted: false });
  });

  it('propose → self-approval refused → approve by another → start → breach → auto-abort, all on one card and its thread', async () => {
    const id = await proposeAs(h, 'U0ALICE');
    const card = cardOf(h, id)!;
    const cardJson = JSON.stringify(card.blocks);
    expect(cardJson).toContain('"action_id":"approve"');
    expect(cardJson).toContain('"action_id":"reject"');
    expect(cardJson).toMatch(/2 of 3/);

    const self = await h.click('approve', id, 'U0ALICE');
    expect(self.status).toBe(200);
    const refusal = await h.api.waitForResponse((r) => r.id === self.responseId, 5000);
    expect(refusal.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(refusal.body)).toContain('approval_self');
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('proposed');

    const ok = await h.click('approve', id, 'U0BOB');
    expect(ok.status).toBe(200);
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    const approval = h.bot.app.engine.experiments.get(id).record.approval!;
    expect(approval.by).toMatchObject({ id: 'U0BOB', team: 'T0001' });
    await waitUntil('the card to offer Start', () => JSON.stringify(h.api.message(CHANNEL, card.ts)?.blocks ?? []).includes('"action_id":"start"'));

    await h.click('start', id, 'U0ALICE');
    await waitUntil('the fault', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === id), 10_000);
    await h.bot.app.engine.runner.settle();
    const r = h.bot.app.engine.experiments.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);

    await h.bot.app.engine.notifier.flush();
    const thread = h.threadTexts(card.ts).join('\n');
    for (const phrase of ['approved by <@U0BOB>', 'started by <@U0ALICE>', 'fault injected', 'guardrail breached', 'fault reverted', 'steady state after', 'verdict: refuted']) {
      expect(thread, phrase).toContain(phrase);
    }
    // Inside its own thread a reply does not repeat the experiment's id.
    const replies = h.api.messagesIn(CHANNEL).filter((m) => m.thread_ts === card.ts).map((m) => m.text ?? '');
    expect(replies.join('\n')).not.toContain(`${id}:`);
    // The post-mortem draft is a file in the thread, and links back to the channel and the thread.
    await waitUntil('the post-mortem upload', () => h.api.uploadedFiles().some((f) => f.completed && f.threadTs === card.ts && f.filename === `${id}.md`));
    const draft = h.api.uploadedFiles().find((f) => f.threadTs === card.ts && f.filename === `${id}.md`)!.bytes!.toString('utf8');
    const archive = `https://faultline-test.slack.com/archives/${CHANNEL}`;
    expect(draft).toContain(`| Channel | [${CHANNEL}](${archive}) |`);
    expect(draft).toContain(`| Thread | [the experiment's thread](${archive}/p${card.ts.replace('.', '')}) |`);
    expect(draft).toContain('aborted');
    // One card, updated in place; everything else went into its thread.
    const top = h.api.messagesIn(CHANNEL).filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id));
    expect(top).toHaveLength(1);
    const final = h.api.message(CHANNEL, card.ts)!;
    expect(final.updates).toBeGreaterThan(2);
    expect(JSON.stringify(final.blocks)).toContain('aborted');
    expect(JSON.stringify(final.blocks)).not.toContain('"action_id":"abort"');
  });

  it('a double click and a second approver produce exactly one approval', async () => {
    const id = await proposeAs(h, 'U0ALICE');
    const [a, b] = await Promise.all([h.click('approve', id, 'U0BOB'), h.click('approve', id, 'U0CAROL')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    const approvals = h.bot.app.store.journal(id).filter((e) => e.kind === 'transition' && e.data.event === 'approve');
    expect(approvals).toHaveLength(1);
    const loser = approvals[0]!.actor === 'U0BOB' ? b : a;
    const late = await h.api.waitForResponse((r) => r.id === loser.responseId, 5000);
    expect(JSON.stringify(late.body)).toContain('illegal_transition');
  });

  it('a Slack retry of the same click (X-Slack-Retry-Num) is acknowledged and acts once', async () => {
    const id = await proposeAs(h, 'U0ALICE');
    const first = await h.click('approve', id, 'U0BOB');
    const retry = await h.click('approve', id, 'U0BOB', { retryNum: 1, payload: first.payload });
    expect(retry.status).toBe(200);
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    await new Promise((r) => setTimeout(r, 300));
    const events = h.bot.app.store.journal(id);
    expect(events.filter((e) => e.kind === 'transition' && e.data.event === 'approve')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'command' || e.kind === 'refused')).toHaveLength(1);
    expect(h.api.responses.filter((r) => r.id === retry.responseId)).toEqual([]);
  });

  it('late clicks on a finished experiment answer only the clicker', async () => {
    const id = await proposeAs(h, 'U0ALICE');
    await h.slash(`reject ${id} not today`, 'U0BOB');
    await waitUntil('rejected', () => h.bot.app.engine.experiments.get(id).record.state === 'rejected');
    const late = await h.click('approve', id, 'U0CAROL');
    const answer = await h.api.waitForResponse((r) => r.id === late.responseId, 5000);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  });

  it('status, list, help, halt and resume answer as in the console; refusals are ephemeral', async () => {
    const help = await h.slash('help', 'U0DANA');
    const helpAnswer = await h.api.waitForResponse((r) => r.id === help.responseId, 5000);
    expect(JSON.stringify(helpAnswer.body)).toContain('/chaos propose');
    expect(helpAnswer.body.response_type).toBe('ephemeral');

    const halt = await h.slash('halt game day over', 'U0DANA');
    const haltAnswer = await h.api.waitForResponse((r) => r.id === halt.responseId, 5000);
    expect(haltAnswer.body.response_type).toBe('in_channel');
    const status = await h.slash('status', 'U0DANA');
    expect(JSON.stringify((await h.api.waitForResponse((r) => r.id === status.responseId, 5000)).body)).toContain('HALTED');
    await h.slash('resume', 'U0DANA');
    await waitUntil('resumed', () => h.bot.app.engine.killSwitch.state() === null);

    const bad = await h.slash('frobnicate', 'U0DANA');
    const badAnswer = await h.api.waitForResponse((r) => r.id === bad.responseId, 5000);
    expect(badAnswer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(badAnswer.body)).toContain('command_unknown');
  });

  it('acks before the Web API answers: the ack comes while the card post is still held unanswered', async () => {
    const release = h.api.hold('*');
    const cardsBefore = h.api.callsTo('chat.postMessage').length;
    try {
      // If the ack waited on the Web API, this request could not be answered while the hold lasts.
      const res = await h.slash('propose checkout-latency', 'U0ALICE');
      expect(res.status).toBe(200);
      await waitUntil('the card post to reach Slack', () => h.api.heldCalls.some((c) => c.method === 'chat.postMessage'));
      expect(h.api.callsTo('chat.postMessage')).toHaveLength(cardsBefore); // not answered yet
    } finally {
      release();
    }
    await waitUntil('the card, once Slack answers', () => h.api.callsTo('chat.postMessage', 'ok').length > cardsBefore);
  });
});

describe('the bot\'s own metrics', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
  });
  afterAll(async () => h?.close());

  it('serves /metrics with experiments by state, aborts by reason and guardrail rounds', async () => {
    await h.slash('propose checkout-latency', 'U0ALICE');
    await waitUntil('proposal', () => h.bot.app.engine.experiments.byState(['proposed']).length === 1);
    const id = h.bot.app.engine.experiments.byState(['proposed'])[0]!.record.id;
    h.bot.app.engine.experiments.abort(id, { id: 'U0BOB' }, 'not today');
    const res = await fetch(`${h.bot.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/faultline_experiments\{state="cancelled",app="faultline"\} 1/);
    expect(text).toMatch(/faultline_aborts_total\{reason="manual",app="faultline"\} 1/);
    expect(text).toContain('# TYPE faultline_guardrail_evaluation_seconds histogram');
    expect(text).toContain('faultline_chat_errors_total');
  });
});
