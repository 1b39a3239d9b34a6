import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { interactionForm, postSigned, slashCommandForm } from '../fakes/slack-signing.js';
import { SlackSocketStandIn } from '../fakes/slack-socket.js';

const SECRET = 'bolt-smoke-secret';

let api: SlackApiStandIn;
let app: App | undefined;
beforeEach(async () => {
  api = await SlackApiStandIn.start();
});
afterEach(async () => {
  await app?.stop();
  app = undefined;
  await api.close();
});

function wire(bolt: App): void {
  bolt.command('/chaos', async ({ ack, respond, command, client }) => {
    await ack();
    await respond({ response_type: 'ephemeral', text: `got: ${command.text}` });
    await client.chat.postMessage({ channel: command.channel_id, text: `proposal by <@${command.user_id}>` });
  });
  bolt.action('approve', async ({ ack, body, client }) => {
    await ack();
    if (body.type !== 'block_actions' || !body.channel || !body.message) return;
    await client.chat.update({ channel: body.channel.id, ts: body.message.ts, text: `approved by <@${body.user.id}>` });
  });
}

describe('a real Bolt App against the Slack stand-ins', () => {
  it('Socket Mode: a /chaos command is acked over the socket, respond() reaches the response_url, say goes to the Web API', async () => {
    const socket = await SlackSocketStandIn.start();
    api.setSocketUrl(socket.url);
    try {
      app = new App({ token: 'xoxb-test', appToken: 'xapp-test', socketMode: true, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: api.url } });
      wire(app);
      await app.start();
      await socket.waitForConnection();

      const command = { ...slashCommandFixture('slash-command.propose'), response_url: api.responseUrl('cmd-1') };
      const { ack } = await socket.send('slash_commands', command);
      expect(ack.envelope_id).toBe(socket.envelopes[0]?.envelope_id);
      await expect(api.waitForResponse((r) => r.id === 'cmd-1')).resolves.toMatchObject({ body: { text: 'got: propose checkout-errors' } });
      const posted = await api.waitFor((c) => c.method === 'chat.postMessage');
      expect(posted).toMatchObject({ token: 'xoxb-test', params: { channel: 'C0CHAOS', text: 'proposal by <@U0PROPOSER>' } });
      expect(api.callsTo('auth.test', 'ok').length).toBeGreaterThanOrEqual(1);
      await app.stop(); // resolves before the socket's close handshake is done
      app = undefined;
      await socket.waitForDisconnect();
    } finally {
      await app?.stop();
      app = undefined;
      await socket.close();
    }
  });

  it('HTTP: signed interactions are processed, forged ones get 401', async () => {
    app = new App({ token: 'xoxb-test', signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: api.url } });
    wire(app);
    const server = (await app.start(0)) as Server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;

    const card = await app.client.chat.postMessage({ channel: 'C0CHAOS', text: 'exp-000001 proposed' });
    const click = interactionFixture('block-actions.approve');
    const payload = { ...click, container: { ...(click.container as object), message_ts: card.ts }, message: { ...(click.message as object), ts: card.ts }, response_url: api.responseUrl('click-1') };
    const ok = await postSigned(url, interactionForm(payload), { secret: SECRET });
    expect(ok.status).toBe(200);
    await api.waitFor((c) => c.method === 'chat.update');
    expect(api.message('C0CHAOS', card.ts ?? '')).toMatchObject({ text: 'approved by <@U0APPROVER>', updates: 1 });

    const forged = await postSigned(url, slashCommandForm(slashCommandFixture('slash-command.propose')), { secret: 'wrong' });
    expect(forged.status).toBe(401);
  });
});
