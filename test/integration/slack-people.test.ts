import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeFaults, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';

/**
 * People in Slack, through Bolt against the Web API stand-in: approvers are mentioned on the card and
 * asked by DM (`slack.notifyApprovers: both`), the proposer hears by DM as the experiment moves,
 * actors carry their display names from users.info, and a card that cannot be posted (the bot is not
 * in the channel) is explained to the proposer and posted by `/chaos status <id>` after the invite.
 */
describe('Slack people: mentions, approval requests by DM, the proposer told, a refused card', () => {
  let h: SlackHarness;
  const GROUP = 'S0SRE';
  const OUTSIDE = 'C0NOTIN';
  beforeAll(async () => {
    h = await startSlackHarness({ approvers: ['U0BOB', 'T0001/U0CAROL'], slack: { retries: 10, notifyApprovers: 'both', approverGroup: GROUP } });
    h.api.setUsergroup(GROUP, ['U0DAVE', 'U0BOB']);
    for (const [id, name, displayName] of [['U0ALICE', 'alice', 'Alice A.'], ['U0BOB', 'bob', 'Bob B.'], ['U0CAROL', 'carol', ''], ['U0DAVE', 'dave', 'Dave D.']] as const) {
      h.api.setUser(id, { name, displayName, realName: `${name[0]!.toUpperCase()}${name.slice(1)} Real` });
    }
  });
  afterAll(async () => h?.close());

  const engine = () => h.bot.app.engine;
  const cardOf = (id: string, channel = CHANNEL) => h.api.messagesIn(channel).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`${id} ·`));

  it('the card mentions approvers and the group; each approver but the proposer gets the card by DM and can approve from it; the proposer hears each step by DM', async () => {
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await h.slash('propose checkout-latency', 'U0ALICE');
    await waitUntil('the proposal', () => engine().experiments.byState(['proposed']).length === 1);
    const id = engine().experiments.byState(['proposed'])[0]!.record.id;
    await waitUntil('the card', () => cardOf(id) !== undefined);
    const card = JSON.stringify(cardOf(id)!.blocks);
    expect(card).toContain('<@U0BOB>');
    expect(card).toContain('<@U0CAROL>');
    expect(card).toContain('<!subteam^S0SRE>');
    expect(card).toContain('Proposed by*\\n<@U0ALICE>');
    expect(card).not.toContain('U0ALICE)');

    // Asked by DM: the configured approvers and the group's members, never the proposer.
    await waitUntil("the approval DMs", () => ["U0BOB", "U0CAROL", "U0DAVE"].every((u) => h.api.directMessagesTo(u).length > 0)).catch((err: Error) => { throw new Error(`${err.message}: ${h.api.calls.map((c) => `${c.method}:${c.outcome}`).join(", ")}`); });
    expect(h.api.directMessagesTo('U0ALICE')).toEqual([]);
    const ask = JSON.stringify(h.api.directMessagesTo('U0DAVE')[0]!.blocks);
    expect(ask).toContain('Approval asked');
    expect(ask).toContain('<@U0ALICE> asks you to approve');
    expect(ask).toContain('"action_id":"approve"');
    expect(ask).toMatch(/<https:\/\/faultline-test\.slack\.com\/archives\/C0CHAOS\/p\d+\|Open the thread>/);
    expect(h.api.callsTo('conversations.open').map((c) => c.params.users).sort()).toEqual(['U0BOB', 'U0CAROL', 'U0DAVE']);

    // Dave approves from his DM: the approval counts, with his display name from users.info.
    await h.click('approve', id, 'U0DAVE', { channel: 'DU0DAVE' });
    await waitUntil('approved', () => engine().experiments.get(id).record.state === 'approved');
    expect(engine().experiments.get(id).record.approval!.by).toMatchObject({ id: 'U0DAVE', name: 'Dave D.' });
    await waitUntil('the proposer told of the approval', () => JSON.stringify(h.api.directMessagesTo('U0ALICE')).includes('Approved:'));
    expect(JSON.stringify(h.api.directMessagesTo('U0ALICE'))).toContain('<@U0DAVE> approved it');

    // Bob starts it (not the proposer, so she is told); then he aborts: she hears that too, with how long the fault was in.
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await h.click('start', id, 'U0BOB');
    await waitUntil('the fault', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === id), 15_000);
    await h.slash(`abort ${id} enough`, 'U0BOB');
    await waitUntil('aborted', () => engine().experiments.get(id).record.state === 'aborted');
    await engine().runner.settle();
    await engine().notifier.flush();
    const told = h.api.directMessagesTo('U0ALICE').map((m) => m.text ?? '');
    expect(told.some((t) => t.startsWith('Started:')), told.join('\n')).toBe(true);
    expect(told.some((t) => /^Aborted: /.test(t) && t.includes('by <@U0BOB>: enough')), told.join('\n')).toBe(true);
    expect(JSON.stringify(h.api.directMessagesTo('U0ALICE'))).toMatch(/Aborted after \d+ ?(ms|s) by/);
    // The record of who aborted carries his display name from users.info, not the handle Slack sent.
    expect(engine().experiments.get(id).record.abort!.by).toMatchObject({ id: 'U0BOB', name: 'Bob B.' });
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);

    // The draft is in the thread at the end; `/chaos postmortem` drafts it again and puts it there once more.
    const cardTs = cardOf(id)!.ts;
    const drafts = () => h.api.uploadedFiles().filter((f) => f.completed && f.threadTs === cardTs && f.filename === `${id}.md`);
    await waitUntil('the post-mortem in the thread', () => drafts().length === 1);
    const again = await h.slash(`postmortem ${id}`, 'U0CAROL');
    const answer = await h.api.waitForResponse((r) => r.id === again.responseId, 10_000);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(answer.body)).toContain("put into the experiment's thread");
    await waitUntil('the second draft in the thread', () => drafts().length === 2);
    expect(drafts()[1]!.bytes!.toString('utf8')).toContain('Bob B. (U0BOB)');
  });

  it('the bot not in the channel: the proposer is told how to invite it, and /chaos status posts the card after the invite', async () => {
    h.api.setNotInChannel(OUTSIDE);
    const proposed = await h.slash('propose checkout-latency', 'U0ALICE', { channel: OUTSIDE });
    const answer = await h.api.waitForResponse((r) => r.id === proposed.responseId, 10_000);
    const text = JSON.stringify(answer.body);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(text).toContain('I am not a member of it');
    expect(text).toContain('/invite @Faultline');
    expect(text).toContain('<#C0NOTIN>');
    const id = /\/chaos status (exp-[0-9a-f]+)/.exec(text)![1]!;
    expect(engine().experiments.get(id).record.state).toBe('proposed');
    expect(cardOf(id, OUTSIDE)).toBeUndefined();

    h.api.setNotInChannel(OUTSIDE, false);
    const status = await h.slash(`status ${id}`, 'U0ALICE', { channel: OUTSIDE });
    const shown = await h.api.waitForResponse((r) => r.id === status.responseId, 10_000);
    expect(JSON.stringify(shown.body)).toContain('The card is now posted in its channel');
    await waitUntil('the card in the channel', () => cardOf(id, OUTSIDE) !== undefined);
    expect(engine().experiments.get(id).card?.channel).toBe(OUTSIDE);
    // Posted once: asking again shows the card and posts nothing new.
    await h.slash(`status ${id}`, 'U0ALICE', { channel: OUTSIDE });
    await new Promise((r) => setTimeout(r, 500));
    expect(h.api.messagesIn(OUTSIDE).filter((m) => !m.thread_ts)).toHaveLength(1);
    await h.slash(`reject ${id} done testing`, 'U0BOB', { channel: OUTSIDE });
    await waitUntil('rejected', () => engine().experiments.get(id).record.state === 'rejected');
  });
});
