import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME_ACTIONS } from '../../src/adapters/chat/slack/home-blocks.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSlackBot } from '../../src/app/slack-start.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { postSigned } from '../fakes/slack-signing.js';
import { SlackSocketStandIn } from '../fakes/slack-socket.js';
import { ROOT, statsRequests, waitUntil } from './harness.js';
import { runningViaSlack, SECRET, startSlackHarness, TEAM, type SlackHarness } from './slack-harness.js';

type Block = Record<string, any>;
let seq = 0;
const unique = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
const buttonsOf = (view: Record<string, unknown> | undefined): Block[] =>
  ((view?.blocks ?? []) as Block[]).flatMap((b) => [...(b.accessory ? [b.accessory] : []), ...(b.elements ?? []).filter((e: Block) => e.type === 'button')]);

/** The Events API post Slack sends when someone opens the app's Home tab. */
function openHome(h: SlackHarness, user: string) {
  const body = {
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: TEAM,
    api_app_id: 'A0001',
    type: 'event_callback',
    event_id: `Ev${unique().replace('.', '')}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D${user.slice(1)}`, tab: 'home', event_ts: unique() },
  };
  return postSigned(h.events, JSON.stringify(body), { secret: SECRET, contentType: 'application/json' });
}

/** A button pressed on the Home tab: a block_actions from a `home` view, with no channel and no response_url. */
function clickOnHome(h: SlackHarness, user: string, actionId: string, value: string) {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM },
    api_app_id: 'A0001',
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    container: { type: 'view', view_id: 'V0HOME' },
    trigger_id: `trig.${unique()}`,
    team: { id: TEAM, domain: 'faultline-test' },
    view: { id: 'V0HOME', type: 'home', callback_id: 'faultline-home', blocks: [] },
    actions: [{ type: 'button', action_id: actionId, block_id: 'b', value, action_ts: unique(), text: { type: 'plain_text', text: actionId } }],
  };
  return h.click(actionId, value, user, { payload });
}

describe('Slack App Home through a real Bolt app', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => h?.close());

  it('app_home_opened publishes the Home with the running experiment and its Abort; it is republished on changes, debounced', async () => {
    const { id } = await runningViaSlack(h, 'checkout-latency');
    const opened = await openHome(h, 'U0CAROL');
    expect(opened.status).toBe(200);
    await waitUntil('the home', () => buttonsOf(h.api.home('U0CAROL')).some((b) => b.action_id === 'abort' && b.value === id));
    const firstAt = Date.now();
    const before = h.api.homes.filter((x) => x.user === 'U0CAROL').length;

    // Observing for a few seconds: readings every 500 ms, state changes only on abort.
    await new Promise((r) => setTimeout(r, 3000));
    const abort = await clickOnHome(h, 'U0CAROL', 'abort', id);
    expect(abort.status).toBe(200);
    await waitUntil('aborted', () => h.bot.app.engine.experiments.get(id).record.state !== 'running', 10_000);
    await h.bot.app.engine.runner.settle();
    await waitUntil('the home without the run', () => !buttonsOf(h.api.home('U0CAROL')).some((b) => b.action_id === 'abort'), 6000);
    const publishes = h.api.homes.filter((x) => x.user === 'U0CAROL');
    expect(publishes.length).toBeGreaterThan(before);
    // Never closer than ~2 s per person, however many readings and thread replies there were.
    const elapsedS = (Date.now() - firstAt) / 1000;
    expect(publishes.length - before).toBeLessThanOrEqual(Math.ceil(elapsedS / 2) + 1);
    for (let i = 1; i < publishes.length; i++) expect(publishes[i]!.at - publishes[i - 1]!.at).toBeGreaterThanOrEqual(1900);
    // Its proposer finds it among her recent experiments, with its outcome and a link to its thread.
    await openHome(h, 'U0ALICE');
    await waitUntil("alice's recent runs", () => JSON.stringify(h.api.home('U0ALICE') ?? {}).includes(`\`${id}\` checkout-latency · aborted`));
    expect(JSON.stringify(h.api.home('U0ALICE'))).toMatch(/\|thread>/);
    expect(JSON.stringify(h.api.home('U0CAROL'))).not.toContain(`\`${id}\` checkout-latency · aborted`);
  });

  it('Approve on the Home: the proposer is refused (four eyes), an approver approves', async () => {
    await h.slash('propose checkout-errors', 'U0ALICE');
    await waitUntil('the proposal', () => h.bot.app.engine.experiments.byState(['proposed']).length === 1);
    const id = h.bot.app.engine.experiments.byState(['proposed'])[0]!.record.id;
    await openHome(h, 'U0BOB');
    await openHome(h, 'U0ALICE');
    await waitUntil('bob is asked', () => buttonsOf(h.api.home('U0BOB')).some((b) => b.action_id === 'approve' && b.value === id));
    await waitUntil("alice's home", () => h.api.home('U0ALICE') !== undefined);
    // Her own proposal does not wait for her.
    expect(buttonsOf(h.api.home('U0ALICE')).some((b) => b.action_id === 'approve')).toBe(false);

    await clickOnHome(h, 'U0ALICE', 'approve', id);
    await waitUntil('the refusal on her home', () => JSON.stringify(h.api.home('U0ALICE') ?? {}).includes('approval_self'), 6000);
    expect(h.bot.app.engine.experiments.get(id).record.state).toBe('proposed');

    await clickOnHome(h, 'U0BOB', 'approve', id);
    await waitUntil('approved', () => h.bot.app.engine.experiments.get(id).record.state === 'approved');
    expect(h.bot.app.engine.experiments.get(id).record.approval?.by).toMatchObject({ id: 'U0BOB', team: TEAM });
    await waitUntil('nothing waits for bob', () => !buttonsOf(h.api.home('U0BOB')).some((b) => b.value === id), 6000);
    await h.slash(`cancel ${id}`, 'U0ALICE');
  });

  it('Halt asks for confirmation, halts, and the Home then offers Resume (with its own confirmation)', async () => {
    await openHome(h, 'U0CAROL');
    await waitUntil('the halt button', () => buttonsOf(h.api.home('U0CAROL')).some((b) => b.action_id === HOME_ACTIONS.halt));
    const halt = buttonsOf(h.api.home('U0CAROL')).find((b) => b.action_id === HOME_ACTIONS.halt)!;
    expect(halt.confirm).toMatchObject({ title: { type: 'plain_text' }, confirm: { text: 'Halt' }, deny: { text: 'Cancel' }, style: 'danger' });

    await clickOnHome(h, 'U0CAROL', HOME_ACTIONS.halt, 'halt');
    await waitUntil('halted', () => h.bot.app.engine.facade.experiments.haltState() !== null);
    expect(h.bot.app.engine.facade.experiments.haltState()).toMatchObject({ by: 'U0CAROL' });
    await waitUntil('resume offered', () => buttonsOf(h.api.home('U0CAROL')).some((b) => b.action_id === HOME_ACTIONS.resume && b.confirm), 6000);

    await clickOnHome(h, 'U0CAROL', HOME_ACTIONS.resume, 'resume');
    await waitUntil('resumed', () => h.bot.app.engine.facade.experiments.haltState() === null);
    await waitUntil('halt offered again', () => buttonsOf(h.api.home('U0CAROL')).some((b) => b.action_id === HOME_ACTIONS.halt), 6000);
  });
});

describe('Slack App Home over Socket Mode', () => {
  it('an events_api envelope with app_home_opened is acked and publishes the Home', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-home-socket-'));
    const api = await SlackApiStandIn.start();
    const socket = await SlackSocketStandIn.start();
    api.setSocketUrl(socket.url);
    const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 1, rps: 5 });
    const config = Config.parse({
      approvers: ['U0BOB'],
      store: { path: path.join(dir, 'faultline.db') },
      playbooks: { dirs: [path.join(ROOT, 'playbooks')], vars: { sandboxAdmin: sandbox.adminUrl } },
      sandbox: { autoStart: false },
      server: { host: '127.0.0.1', port: 0 },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    });
    const log = createLogger({ level: 'warn', file: path.join(dir, 'faultline.log') });
    const bot = await startSlackBot({ config, source: 'test', env: { slackBotToken: 'xoxb-test', slackAppToken: 'xapp-test', slackApiUrl: api.url } }, log);
    try {
      await socket.waitForConnection(10_000);
      const event = { type: 'app_home_opened', user: 'U0BOB', channel: 'D0BOB', tab: 'home', event_ts: unique() };
      const { ack } = await socket.send('events_api', { token: 't', team_id: TEAM, api_app_id: 'A0001', type: 'event_callback', event_id: 'Ev0HOME1', event_time: 1, event });
      expect(ack.envelope_id).toBeTruthy();
      await waitUntil('the home', () => api.home('U0BOB') !== undefined);
      expect(buttonsOf(api.home('U0BOB')).map((b) => b.action_id)).toContain(HOME_ACTIONS.halt);
      expect(api.callsTo('views.publish')[0]?.token).toBe('xoxb-test');
    } finally {
      await bot.stop('test finished');
      await socket.close();
      await sandbox.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
