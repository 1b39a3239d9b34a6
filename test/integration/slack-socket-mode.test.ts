import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSlackBot, type SlackBot } from '../../src/app/slack-start.js';
import { startSandboxProcess, type SandboxProcess as Sandbox } from './sandbox-process.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { interactionFixture, slashCommandFixture } from '../fakes/slack-fixtures.js';
import { SlackSocketStandIn } from '../fakes/slack-socket.js';
import { ROOT, waitUntil } from './harness.js';

describe('Slack over Socket Mode (a local WebSocket stand-in)', () => {
  let dir: string;
  let api: SlackApiStandIn;
  let socket: SlackSocketStandIn;
  let sandbox: Sandbox;
  let bot: SlackBot;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-socket-'));
    api = await SlackApiStandIn.start();
    socket = await SlackSocketStandIn.start();
    api.setSocketUrl(socket.url);
    sandbox = await startSandboxProcess({ rps: 20, statsWindowSeconds: 10 });
    const config = Config.parse({
      approvers: ['U0BOB'],
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [path.join(ROOT, 'playbooks')], vars: { sandboxAdmin: sandbox.adminUrl } },
      sandbox: { autoStart: false },
      server: { host: '127.0.0.1', port: 0 },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    });
    const log = createLogger({ level: 'warn', file: path.join(dir, 'faultline.log') });
    bot = await startSlackBot({ config, source: 'test', env: { slackBotToken: 'xoxb-test', slackAppToken: 'xapp-test', slackApiUrl: api.url } }, log);
    await socket.waitForConnection(10_000);
  });
  afterAll(async () => {
    await bot?.stop('test finished');
    await socket?.waitForDisconnect?.().catch(() => {});
    await socket?.close();
    await sandbox?.stop();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects through apps.connections.open with the app token and serves /healthz on its own port', async () => {
    expect(bot.slack.mode).toBe('socket');
    expect(api.callsTo('apps.connections.open')[0]?.token).toBe('xapp-test');
    const res = await fetch(`${bot.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, mode: 'socket' });
  });

  it('acks a slash command envelope at once, then posts the card; a button envelope approves', async () => {
    const form = { ...slashCommandFixture('slash-command.propose'), text: 'propose checkout-latency', user_id: 'U0ALICE', channel_id: 'C0CHAOS', response_url: api.responseUrl('sock-1') };
    // Every Web API call waits unanswered until released: an ack that waited on one could not arrive.
    let release = api.hold('*');
    const { ack } = await socket.send('slash_commands', form);
    expect(ack.envelope_id).toBeTruthy();
    await waitUntil('the card post to reach Slack', () => api.heldCalls.some((c) => c.method === 'chat.postMessage'));
    expect(api.messagesIn('C0CHAOS')).toEqual([]); // acked, card not posted yet
    release();
    await waitUntil('the proposal', () => bot.app.engine.experiments.byState(['proposed']).length === 1);
    const id = bot.app.engine.experiments.byState(['proposed'])[0]!.record.id;
    await waitUntil('the card', () => api.messagesIn('C0CHAOS').some((m) => JSON.stringify(m.blocks ?? []).includes(id)));

    const base = interactionFixture('block-actions.approve');
    const action = { ...(base.actions as Array<Record<string, unknown>>)[0], action_id: 'approve', value: id, action_ts: '1700000001.000001' };
    release = api.hold('*');
    const heldBefore = api.heldCalls.length;
    const click = await socket.send('interactive', { ...base, user: { id: 'U0BOB', username: 'bob', name: 'bob', team_id: 'T0001' }, actions: [action], response_url: api.responseUrl('sock-2') });
    expect(click.ack.envelope_id).toBeTruthy();
    await waitUntil('the card update to reach Slack', () => api.heldCalls.slice(heldBefore).some((c) => c.method === 'chat.update' || c.method === 'chat.postMessage'));
    release();
    await waitUntil('approved', () => bot.app.engine.experiments.get(id).record.state === 'approved');
    expect(bot.app.engine.experiments.get(id).record.approval?.by).toMatchObject({ id: 'U0BOB', team: 'T0001' });
  });
});
