import type { Logger } from 'pino';
import { ApproverGroup } from '../adapters/chat/slack/approver-group.js';
import { registerSlackHandlers } from '../adapters/chat/slack/handlers.js';
import { HomeDesk } from '../adapters/chat/slack/home.js';
import { SlackPeople } from '../adapters/chat/slack/people.js';
import { ReplayGuard } from '../adapters/chat/slack/replay-guard.js';
import { createSlackApp, type SlackApp } from '../adapters/chat/slack/slack-app.js';
import { SlackChat } from '../adapters/chat/slack/slack-chat.js';
import { formatBlastRadius } from '../core/blast-radius-spec.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError } from '../core/errors.js';
import { commandRegistry } from '../../commands/index.js';
import { boot } from './boot.js';
import type { App } from './compose.js';
import { DEFAULT_CONFIG_FILE, type LoadedConfig } from './config.js';
import { botRoutes, type OpsRoute } from './ops-routes.js';
import { startOpsServer } from './ops-server.js';
import type { LaunchedSandbox } from './sandbox-launcher.js';

export interface SlackBot {
  app: App;
  slack: SlackApp;
  sandbox: LaunchedSandbox | null;
  /** Where Slack posts (HTTP mode) or where /healthz answers (Socket Mode). */
  url: string;
  stop(reason: string): Promise<void>;
}

/**
 * In Slack nobody approves by default (the console's demo users are not real people there): with no
 * approvers and no approver group the bot would take proposals no one could approve, so it does not start.
 */
export function refuseWithoutApprovers({ config, source }: Pick<LoadedConfig, 'config' | 'source'>): void {
  if (config.approvers.length > 0 || config.slack.approverGroup) return;
  const file = source === 'embedded defaults' ? `a config file (--config, FAULTLINE_CONFIG or ./${DEFAULT_CONFIG_FILE})` : source;
  throw new FaultlineError(
    'config_invalid',
    `no approvers for Slack: set approvers in ${file}, e.g. \`approvers: [U0123ABCD, U0456EFGH]\` (Slack user ids), ` +
      'or FAULTLINE_APPROVERS=U0123ABCD,U0456EFGH in the environment; slack.approverGroup: S0123ABCD lets the members of a user group approve too',
    { file: source, field: 'approvers' },
  );
}

/** `faultline start` with a Slack token: the same engine and commands, with Slack as the chat. */
export async function startSlackBot(loaded: LoadedConfig, log: Logger): Promise<SlackBot> {
  const { config, env } = loaded;
  if (!env.slackBotToken) throw new FaultlineError('config_invalid', 'SLACK_BOT_TOKEN is not set');
  refuseWithoutApprovers(loaded);
  const secrets = {
    botToken: env.slackBotToken,
    ...(env.slackAppToken ? { appToken: env.slackAppToken } : {}),
    ...(env.slackSigningSecret ? { signingSecret: env.slackSigningSecret } : {}),
    ...(env.slackApiUrl ? { apiUrl: env.slackApiUrl } : {}),
  };
  let app: App | undefined;
  // Routes are fixed when the receiver is built; the metrics registry and the webhook arrive with the app.
  const routes: OpsRoute[] = botRoutes(
    () => app,
    () => {
      if (!app) return { starting: true };
      return { mode: slack.mode, running: app.engine.experiments.running().length, halted: app.engine.killSwitch.state() !== null };
    },
  );
  const slack = createSlackApp({ secrets, settings: config.slack, host: config.server.host, port: config.server.port, log, routes });
  const group = config.slack.approverGroup ? new ApproverGroup(slack.client, config.slack.approverGroup, config.slack.approverGroupCacheTtl, log) : undefined;
  const chat = new SlackChat(slack.client, { maxRateLimitWaitMs: config.slack.rateLimitMaxWait, log });
  const booted = await boot({
    config,
    chat,
    log,
    embedded: loaded.source === 'embedded defaults',
    env,
    ...(group ? { extraApprovers: { label: `members of user group ${config.slack.approverGroup}`, groupId: config.slack.approverGroup!, members: () => group.members() } } : {}),
  });
  app = booted.app;
  const live = booted.app;
  // The App Home: republished on every transition (debounced per person), so it shows what runs now.
  const home = new HomeDesk(slack.client, live.engine.facade, log, { permalink: (ref) => chat.permalink(ref) });
  live.engine.facade.experiments.subscribe(() => home.changed());
  const handlers = registerSlackHandlers(slack.bolt, {
    home,
    people: new SlackPeople(slack.client, log),
    engine: live.engine.facade,
    registry: commandRegistry(),
    log,
    // Kept in SQLite: a request handled before a restart is still known after it.
    guard: new ReplayGuard(live.store.seenRequests),
    maxDurationMs: config.caps.maxDuration,
    playbookChoices: () =>
      [...live.playbooks.values()].map(({ playbook: p }) => ({
        name: p.name,
        ...(p.title ? { title: p.title } : {}),
        duration: formatDuration(p.fault.duration),
        blastRadius: formatBlastRadius(p.target.blastRadius),
      })),
  });
  let ops: { url: string; close(): Promise<void> } | undefined;
  try {
    const started = await slack.start();
    if (slack.mode === 'socket') ops = await startOpsServer(routes, config.server.host, config.server.port);
    const url = started.url ?? ops!.url;
    log.info({ mode: slack.mode, url, playbooks: [...live.playbooks.keys()] }, 'faultline ready on slack');
    let stopping: Promise<void> | undefined;
    return {
      app: live,
      slack,
      sandbox: booted.sandbox,
      url,
      stop: (reason) =>
        (stopping ??= (async () => {
          // Commands already acked still get their answer (bounded), then everything running is reverted.
          if (!(await handlers.drain(5000))) log.warn({}, 'stopping with slack commands still queued');
          home.stop();
          await live.shutdown(reason);
          await slack.stop().catch((err: unknown) => log.warn({ err }, 'slack stop failed'));
          await ops?.close();
          await booted.sandbox?.stop();
        })()),
    };
  } catch (err) {
    home.stop();
    await live.shutdown('slack failed to start');
    await booted.sandbox?.stop();
    throw err;
  }
}
