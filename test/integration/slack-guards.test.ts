import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandFixture } from '../fakes/slack-fixtures.js';
import { postSigned, slashCommandForm, slackSignature } from '../fakes/slack-signing.js';
import { waitUntil } from './harness.js';
import { CHANNEL, SECRET, startSlackHarness, TEAM, type SlackHarness } from './slack-harness.js';

const cardOf = (h: SlackHarness, id: string) => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id));

describe('Slack over HTTP: who may click what, and requests acted on once across restarts', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    // Alice proposes and is no approver here; bob approves; dana is anyone else in the channel.
    h = await startSlackHarness({ approvers: ['U0BOB', 'T0001/U0CAROL'] });
  });
  afterAll(async () => h?.close());

  const proposals = () => h.bot.app.engine.experiments.list(100).map((e) => e.record.id);

  async function proposeAsAlice(): Promise<string> {
    const before = new Set(proposals());
    await h.slash('propose checkout-latency', 'U0ALICE');
    let id = '';
    await waitUntil('the proposal', () => (id = proposals().find((x) => !before.has(x)) ?? '') !== '');
    await waitUntil('the card', () => cardOf(h, id) !== undefined);
    return id;
  }

  /** Clicks and returns the ephemeral answer only the clicker sees. */
  async function refusedClick(actionId: string, id: string, user: string, team?: string) {
    const click = await h.click(actionId, id, user, team ? { team } : {});
    expect(click.status).toBe(200);
    const answer = await h.api.waitForResponse((r) => r.id === click.responseId, 5000);
    expect(answer.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    return JSON.stringify(answer.body);
  }

  it('another person\'s Reject, Start and Cancel are refused, only to them; the proposer\'s Approve from another workspace too', async () => {
    const id = await proposeAsAlice();
    const journalRows = () => h.bot.app.store.journal(id);

    const reject = await refusedClick('reject', id, 'U0DANA');
    expect(reject).toContain('not_permitted');
    expect(reject).toContain(`only an approver can reject ${id}; approvers are: U0BOB, T0001/U0CAROL`);

    // On Enterprise Grid alice's user id is alice in every workspace.
    const self = await refusedClick('approve', id, 'U0ALICE', 'T0002');
    expect(self).toContain('approval_self');
    // A pin narrows: carol approves from T0001 only.
    expect(await refusedClick('approve', id, 'U0CAROL', 'T0009')).toContain('approval_not_approver');
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('proposed');

    await h.click('approve', id, 'U0BOB');
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    await waitUntil('the card to offer Start and Cancel', () => /"action_id":"start".*"action_id":"cancel"/.test(JSON.stringify(h.api.message(CHANNEL, cardOf(h, id)!.ts)?.blocks ?? [])));

    const start = await refusedClick('start', id, 'U0DANA');
    expect(start).toContain('not_permitted');
    expect(start).toContain(`only the proposer (U0ALICE) or an approver can start ${id}`);
    expect(await refusedClick('cancel', id, 'U0DANA')).toContain('not_permitted');
    // Typing abort before the run is the same cancel.
    const typed = await h.slash(`abort ${id}`, 'U0DANA');
    const typedAnswer = await h.api.waitForResponse((r) => r.id === typed.responseId, 5000);
    expect(typedAnswer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(typedAnswer.body)).toContain('not_permitted');

    expect(h.bot.app.engine.experiments.get(id).record).toMatchObject({ state: 'approved', startedBy: null });
    const refused = journalRows().filter((e) => e.kind === 'refused');
    expect(refused.map((e) => [e.actor, e.data.command, e.data.code])).toEqual([
      ['U0DANA', 'reject', 'not_permitted'],
      ['U0ALICE', 'approve', 'approval_self'],
      ['U0CAROL', 'approve', 'approval_not_approver'],
      ['U0DANA', 'start', 'not_permitted'],
      ['U0DANA', 'cancel', 'not_permitted'],
      ['U0DANA', 'abort', 'not_permitted'],
    ]);

    // The proposer cancels her own, from the card.
    await h.click('cancel', id, 'U0ALICE', { team: 'T0002' });
    await waitUntil('cancelled', () => h.bot.app.engine.experiments.get(id).record.state === 'cancelled');
    expect(h.bot.app.engine.experiments.get(id).record.closedBy).toMatchObject({ by: { id: 'U0ALICE' }, reason: 'cancelled from the card' });
  });

  const commandForm = (text: string, responseId: string) =>
    slashCommandForm({
      ...slashCommandFixture('slash-command.propose'),
      text,
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: CHANNEL,
      team_id: TEAM,
      response_url: h.api.responseUrl(responseId),
      trigger_id: `trig.${responseId}`,
    });

  it('a signed request dated more than five minutes ahead is refused with 401 and changes nothing; within the window it is taken', async () => {
    const rows = h.bot.app.store.events().length;
    const now = Math.floor(Date.now() / 1000);
    const future = await postSigned(h.events, commandForm('propose checkout-latency', 'future'), { secret: SECRET, timestampSec: now + 10 * 60 });
    expect(future.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.bot.app.store.events().length).toBe(rows);
    expect(h.api.responses.filter((r) => r.id === 'future')).toEqual([]);

    const skewed = await postSigned(h.events, commandForm('list', 'skewed'), { secret: SECRET, timestampSec: now + 4 * 60 });
    expect(skewed.status).toBe(200);
    await h.api.waitForResponse((r) => r.id === 'skewed', 5000);
  });

  it('a Slack retry of the same request (X-Slack-Retry-Num) is acknowledged and acted on once', async () => {
    const before = proposals().length;
    const body = commandForm('propose checkout-latency', 'retried');
    const timestampSec = Math.floor(Date.now() / 1000);
    const first = await postSigned(h.events, body, { secret: SECRET, timestampSec });
    const retry = await postSigned(h.events, body, { secret: SECRET, timestampSec, retryNum: 1, retryReason: 'http_timeout' });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await waitUntil('the proposal', () => proposals().length === before + 1);
    await h.api.waitForResponse((r) => r.id === 'retried', 5000);
    await new Promise((r) => setTimeout(r, 300));
    expect(proposals().length).toBe(before + 1);
    expect(h.api.responses.filter((r) => r.id === 'retried')).toHaveLength(1);
  });

  it('a signed request replayed to the restarted bot is refused; a retry of it is acknowledged, neither acts', async () => {
    const timestampSec = Math.floor(Date.now() / 1000);
    const body = commandForm('propose checkout-latency', 'replayed');
    const signature = slackSignature(SECRET, timestampSec, body);
    const before = proposals().length;
    expect((await postSigned(h.events, body, { secret: SECRET, timestampSec })).status).toBe(200);
    await waitUntil('the proposal', () => proposals().length === before + 1);
    await h.api.waitForResponse((r) => r.id === 'replayed', 5000);

    await h.restart();
    const rows = h.bot.app.store.events().length;
    // The same bytes, the same signature, inside the five-minute window, to a bot that just started.
    const replay = await postSigned(h.events, body, { secret: SECRET, timestampSec, signature });
    expect(replay.status).toBe(401);
    const retry = await postSigned(h.events, body, { secret: SECRET, timestampSec, signature, retryNum: 2, retryReason: 'http_timeout' });
    expect(retry.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(proposals().length).toBe(before + 1);
    expect(h.bot.app.store.events().length).toBe(rows);
    expect(h.api.responses.filter((r) => r.id === 'replayed')).toHaveLength(1);

    // A new request still works on the restarted bot.
    const fresh = await h.slash('list', 'U0ALICE');
    expect(fresh.status).toBe(200);
    await h.api.waitForResponse((r) => r.id === fresh.responseId, 5000);
  });
});
