import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackSocketStandIn } from '../fakes/slack-socket.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { activeFaults, waitForSteadySandbox, waitUntil } from './harness.js';
import { startReplicaCluster, type ReplicaCluster } from './replica-harness.js';
import { CHANNEL, unique } from './slack-requests.js';

/**
 * Replicas in Socket Mode: every replica holds its own connection and Slack hands an envelope to any
 * of them (the stand-in, to the newest: the follower). The follower acks at once and hands the
 * command to the leader; when the leader dies, the same connection is answered by the new leader.
 */
describe('replicas on one PostgreSQL, in Socket Mode', () => {
  let c: ReplicaCluster;
  let socket: SlackSocketStandIn;
  beforeAll(async () => {
    socket = await SlackSocketStandIn.start();
    c = await startReplicaCluster({ socketUrl: socket.url });
  });
  afterAll(async () => {
    await c?.close();
    await socket?.close();
  });

  const slash = (text: string, user: string) => {
    const responseId = `sock-${unique()}`;
    const payload = { ...slashCommandFixture('slash-command.propose'), text, user_id: user, user_name: user.toLowerCase(), channel_id: CHANNEL, response_url: c.api.responseUrl(responseId), trigger_id: `trig.${unique()}` };
    return socket.send('slash_commands', payload).then((sent) => ({ ...sent, responseId }));
  };
  const click = (actionId: string, value: string, user: string) => {
    const base = interactionFixture('block-actions.approve');
    const action = { ...(base.actions as Array<Record<string, unknown>>)[0], action_id: actionId, value, action_ts: unique() };
    return socket.send('interactive', { ...base, user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0001' }, actions: [action], response_url: c.api.responseUrl(`act-${unique()}`), trigger_id: `trig.${unique()}` });
  };

  it('an envelope delivered to the follower is acked within 3 s and run by the leader; after the leader dies the follower leads on the same connection', async () => {
    const leader = c.spawn('socket-leader');
    await leader.logged('leading: engine started', 30_000);
    const follower = c.spawn('socket-follower');
    await follower.logged('faultline ready on slack (replica)', 30_000);
    await waitUntil('two connections', () => socket.open === 2, 15_000);
    await waitForSteadySandbox(c.sandbox.adminUrl);

    // The stand-in gives an ack Slack's 3 s and fails the send without one.
    const proposed = await slash('propose checkout-latency duration=2m', 'U0ALICE');
    const answer = await c.api.waitForResponse((r) => r.id === proposed.responseId, 15_000);
    const id = /exp-[0-9a-f]+/.exec(JSON.stringify(answer.body))![0];
    const cardTs = await c.cardOf(id);
    expect(leader.lines().some((l) => l.msg === 'handed-over command answered' && String(l.line).includes('propose checkout-latency'))).toBe(true);
    await click('approve', id, 'U0BOB');
    await waitUntil('approved', () => c.threadTexts(cardTs).some((t) => /approved/i.test(t)), 15_000);
    await click('start', id, 'U0ALICE');
    await waitUntil('the fault', async () => (await activeFaults(c.sandbox.adminUrl)).some((f) => f.experimentId === id), 20_000);

    leader.child.kill('SIGKILL');
    await leader.exited;
    await follower.logged('leading: engine started', 20_000);
    await waitUntil('the fault reverted by the new leader', async () => (await activeFaults(c.sandbox.adminUrl)).length === 0, 20_000);
    const status = await slash(`status ${id}`, 'U0CAROL');
    expect(JSON.stringify((await c.api.waitForResponse((r) => r.id === status.responseId, 15_000)).body)).toMatch(/aborted/i);
  });
});
