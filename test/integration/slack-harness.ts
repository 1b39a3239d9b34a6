import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config, type LoadedConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSlackBot, type SlackBot } from '../../src/app/slack-start.js';
import { startSandboxProcess, type SandboxProcess as Sandbox } from './sandbox-process.js';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { CHANNEL, clickTo, SECRET, slashTo, TEAM } from './slack-requests.js';
import { activeFaults, ROOT, STATS_WINDOW_SECONDS, waitForSteadySandbox, waitUntil } from './harness.js';

export { CHANNEL, SECRET, TEAM };

export interface SlackHarness {
  dir: string;
  api: SlackApiStandIn;
  sandbox: Sandbox;
  bot: SlackBot;
  events: string;
  /** Types `/chaos <text>` as a user (of workspace `team`, default T0001); resolves with the HTTP answer (the ack). */
  slash(text: string, user: string, opts?: { responseId?: string; team?: string; channel?: string }): Promise<{ status: number; body: string; ms: number; responseId: string }>;
  /** Clicks a card button as a user (of workspace `team`, default T0001). */
  click(
    actionId: string,
    value: string,
    user: string,
    opts?: { retryNum?: number; payload?: Record<string, unknown>; team?: string; /** Where the button is: a channel, or a DM (D…). */ channel?: string },
  ): Promise<{ status: number; body: string; ms: number; responseId: string; payload: Record<string, unknown> }>;
  /** Stops the bot and starts a new one on the same database file, Slack stand-in and sandbox (`bot` and `events` change). */
  restart(): Promise<void>;
  /** Replies posted into an experiment card's thread, as plain text. */
  /** The thread's replies, then a line for each file shared into it. */
  threadTexts(cardTs: string): string[];
  close(): Promise<void>;
}

/** A real Bolt app over its HTTP receiver on 127.0.0.1, talking to the Slack stand-in, on the real sandbox. */
export async function startSlackHarness(
  overrides: Record<string, unknown> = {},
  extraEnv: Partial<LoadedConfig['env']> = {},
  opts: { extraPlaybookDirs?: string[] } = {},
): Promise<SlackHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-'));
  const api = await SlackApiStandIn.start();
  const sandbox = await startSandboxProcess({ statsWindowSeconds: STATS_WINDOW_SECONDS });
  const config = Config.parse({
    approvers: ['U0BOB', 'U0CAROL', 'U0ALICE'],
    store: { path: path.join(dir, 'faultline.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'playbooks'), ...(opts.extraPlaybookDirs ?? [])], vars: { sandboxAdmin: sandbox.adminUrl, sandboxProxy: sandbox.proxyUrl } },
    templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
    sandbox: { autoStart: false },
    server: { host: '127.0.0.1', port: 0 },
    slack: { retries: 10 },
    engine: { guardrailInterval: '500ms', statusInterval: '1s', postcheckTimeout: '30s', signalTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    ...overrides,
  });
  const log = createLogger({ level: 'warn', file: path.join(dir, 'faultline.log') });
  const boot = () => startSlackBot({ config, source: 'test', env: { slackBotToken: 'xoxb-test-token', slackSigningSecret: SECRET, slackApiUrl: api.url, ...extraEnv } }, log);
  const bot = await boot();
  const h: SlackHarness = {
    dir,
    api,
    sandbox,
    bot,
    events: `${bot.url}/slack/events`,
    slash: (text, user, opts = {}) => slashTo(h.events, api, text, user, opts),
    click: (actionId, value, user, opts = {}) => clickTo(h.events, api, actionId, value, user, opts),
    threadTexts(cardTs) {
      const replies = api
        .messagesIn(CHANNEL)
        .filter((m) => m.thread_ts === cardTs)
        .map((m) => m.text ?? '');
      // Files shared into the thread read as Slack lists them: the title, then the file's name.
      const files = api.uploadedFiles().filter((f) => f.completed && f.threadTs === cardTs).map((f) => `📎 ${f.title ?? ''} ${f.filename}`);
      return [...replies, ...files];
    },
    async restart() {
      await h.bot.stop('restart');
      h.bot = await boot();
      h.events = `${h.bot.url}/slack/events`;
    },
    async close() {
      await h.bot.stop('test finished');
      await sandbox.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** propose (alice) → approve (bob) → start (alice) through Slack; resolves once the fault is in. */
export async function runningViaSlack(harness: SlackHarness, playbook: string): Promise<{ id: string; cardTs: string }> {
  await waitForSteadySandbox(harness.sandbox.adminUrl);
  await harness.slash(`propose ${playbook}`, 'U0ALICE');
  await waitUntil('proposal', () => harness.bot.app.engine.experiments.byState(['proposed']).length === 1);
  const id = harness.bot.app.engine.experiments.byState(['proposed'])[0]!.record.id;
  await waitUntil('card', () => harness.api.messagesIn(CHANNEL).some((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id)));
  const cardTs = harness.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id))!.ts;
  await harness.click('approve', id, 'U0BOB');
  await waitUntil('approved', () => harness.bot.app.engine.experiments.get(id).record.state === 'approved');
  await harness.click('start', id, 'U0ALICE');
  await waitUntil('the fault', async () => (await activeFaults(harness.sandbox.adminUrl)).some((f) => f.experimentId === id), 10_000);
  await waitUntil('observing', () => harness.bot.app.engine.experiments.get(id).record.phase === 'observing');
  return { id, cardTs };
}

