import { LogLevel } from '@slack/logger';
import { SocketModeClient } from '@slack/socket-mode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { SlackSocketStandIn } from '../fakes/slack-socket.js';

let api: SlackApiStandIn;
let socket: SlackSocketStandIn;
let client: SocketModeClient | undefined;

beforeEach(async () => {
  api = await SlackApiStandIn.start();
  socket = await SlackSocketStandIn.start({ pingIntervalMs: 100 });
  api.setSocketUrl(socket.url);
});

afterEach(async () => {
  // Disconnect the client first: closing the server under it would make it reconnect.
  await client?.disconnect();
  client = undefined;
  await socket.close();
  await api.close();
});

function connect(opts: { clientPingTimeout?: number; serverPingTimeout?: number } = {}): SocketModeClient {
  client = new SocketModeClient({ appToken: 'xapp-test', logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl: api.url }, ...opts });
  return client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Socket Mode stand-in, through the real SocketModeClient', () => {
  it('hands out its URL through apps.connections.open, says hello, and gets the ack of a slash command', async () => {
    const sm = connect();
    const received: unknown[] = [];
    sm.on('slash_commands', async ({ ack, body }: { ack: (r?: Record<string, unknown>) => Promise<void>; body: unknown }) => {
      received.push(body);
      await ack({ text: 'proposing checkout-errors' });
    });
    const connected = await sm.start();
    await socket.waitForConnection();
    expect(connected).toMatchObject({ ok: true, url: socket.url });
    expect(api.callsTo('apps.connections.open', 'ok')[0]?.token).toBe('xapp-test');

    const command = slashCommandFixture('slash-command.propose');
    const { ack } = await socket.send('slash_commands', command);
    expect(received).toEqual([command]);
    expect(ack.payload).toEqual({ text: 'proposing checkout-errors' });
    expect(ack.envelope_id).toBe(socket.envelopes[0]?.envelope_id);
    expect(socket.envelopes[0]).toMatchObject({ type: 'slash_commands', accepts_response_payload: true });
    expect(socket.acks).toEqual([ack]); // the one ack is the handler's answer to the one envelope
  });

  it('delivers interactive and events_api envelopes with retry fields as the client reads them', async () => {
    const sm = connect();
    const events: Array<{ type: string; retry_num?: number; retry_reason?: string; body: unknown }> = [];
    sm.on('slack_event', async (e: { ack: () => Promise<void>; type: string; retry_num?: number; retry_reason?: string; body: unknown }) => {
      events.push({ type: e.type, retry_num: e.retry_num, retry_reason: e.retry_reason, body: e.body });
      await e.ack();
    });
    await sm.start();

    const click = interactionFixture('block-actions.approve');
    const interactive = await socket.send('interactive', click, { retryAttempt: 1, retryReason: 'timeout' });
    expect(interactive.ack.payload).toEqual({}); // the client always sends a payload, empty when ack() has no body
    const event = { type: 'event_callback', team_id: 'T0001', api_app_id: 'A0001', event: { type: 'app_mention', text: '<@UBOT> status', user: 'U0PROPOSER', channel: 'C0CHAOS', ts: '1700000001.000200' }, event_id: 'Ev0001', event_time: 1700000001 };
    await socket.send('events_api', event);

    expect(events).toEqual([
      { type: 'interactive', retry_num: 1, retry_reason: 'timeout', body: click },
      { type: 'events_api', retry_num: 0, retry_reason: '', body: event },
    ]);
    expect(socket.envelopes[1]).toMatchObject({ accepts_response_payload: false, retry_attempt: 0, retry_reason: '' });
  });

  it('keeps the heartbeat: client pings get pongs, server pings arrive in time, the client stays on one connection', async () => {
    const sm = connect({ clientPingTimeout: 300, serverPingTimeout: 400 }); // client pings every 100 ms
    await sm.start();
    await sleep(900);
    expect(socket.pingsReceived).toBeGreaterThanOrEqual(4);
    expect(socket.connections).toBe(1);
    expect(socket.open).toBe(1);
    sm.on('slash_commands', ({ ack }: { ack: () => Promise<void> }) => ack());
    await expect(socket.send('slash_commands', slashCommandFixture('slash-command.propose-empty'))).resolves.toBeDefined();
  });

  it("refresh(): a 'disconnect' message makes the client fetch a new URL and reconnect", async () => {
    const sm = connect({ clientPingTimeout: 200 }); // the client waits this long before reconnecting
    sm.on('slash_commands', ({ ack }: { ack: () => Promise<void> }) => ack());
    await sm.start();
    await socket.refresh();
    expect(socket.connections).toBe(2);
    expect(api.callsTo('apps.connections.open', 'ok')).toHaveLength(2);
    await expect(socket.send('slash_commands', slashCommandFixture('slash-command.propose'))).resolves.toBeDefined();
  });

  it('send() refuses without a client, and times out when nobody acks', async () => {
    await expect(socket.send('slash_commands', {})).rejects.toThrow(/no Socket Mode client/);
    await connect().start(); // no listener: nobody acks
    await expect(socket.send('events_api', { event: { type: 'app_mention' } }, { timeoutMs: 100 })).rejects.toThrow(/no ack .* within 100ms/);
  });
});
