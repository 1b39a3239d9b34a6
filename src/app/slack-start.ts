import type { Logger } from 'pino';
import { ApproverGroup } from '../adapters/chat/slack/approver-group.js';
import { registerSlackHandlers, type SlackHandlerDeps } from '../adapters/chat/slack/handlers.js';
import { HomeDesk } from '../adapters/chat/slack/home.js';
import { ReplayGuard } from '../adapters/chat/slack/replay-guard.js';
import { createSlackApp, type SlackApp } from '../adapters/chat/slack/slack-app.js';
import { SlackChat } from '../adapters/chat/slack/slack-chat.js';
import { formatBlastRadius } from '../core/blast-radius-spec.js';
import { formatDuration } from '../core/duration.js';
import { FaultlineError } from '../core/errors.js';
import { commandRegistry } from '../../commands/index.js';
import { localGateway } from '../../commands/command-gateway.js';
import type { EngineDeps } from '../engine/engine-deps.js';
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

/** The Slack side every bot process has, replica or not: Bolt, the chat port, the approver group. */
export function slackParts(loaded: LoadedConfig, log: Logger, routes: OpsRoute[]): { slack: SlackApp; chat: SlackChat; extraApprovers?: EngineDeps['extraApprovers'] } {
  const { config, env } = loaded;
  if (!env.slackBotToken) throw new FaultlineError('config_invalid', 'SLACK_BOT_TOKEN is not set');
  refuseWithoutApprovers(loaded);
  const secrets = {
    botToken: env.slackBotToken,
    ...(env.slackAppToken ? { appToken: env.slackAppToken } : {}),
    ...(env.slackSigningSecret ? { signingSecret: env.slackSigningSecret } : {}),
    ...(env.slackApiUrl ? { apiUrl: env.slackApiUrl } : {}),
  };
  const slack = createSlackApp({ secrets, settings: config.slack, host: config.server.host, port: config.server.port, log, routes });
  const group = config.slack.approverGroup ? new ApproverGroup(slack.client, config.slack.approverGroup, config.slack.approverGroupCacheTtl, log) : undefined;
  const chat = new SlackChat(slack.client, { maxRateLimitWaitMs: config.slack.rateLimitMaxWait, log });
  return {
    slack,
    chat,
    ...(group ? { extraApprovers: { label: `members of user group ${config.slack.approverGroup}`, groupId: config.slack.approverGroup!, members: () => group.members() } } : {}),
  };
}

/** The propose modal's choices: what the loaded playbooks offer. */
export function playbookChoices(playbooks: App['playbooks']): ReturnType<SlackHandlerDeps['playbookChoices']> {
  return [...playbooks.values()].map(({ playbook: p }) => ({
    name: p.name,
    ...(p.title ? { title: p.title } : {}),
    duration: formatDuration(p.fault.duration),
    blastRadius: formatBlastRadius(p.target.blastRadius),
  }));
}

/** The App Home of a built app: republished on every transition (debounced per person). */
export function homeDesk(slack: SlackApp, chat: SlackChat, app: App, log: Logger): HomeDesk {
  const home = new HomeDesk(slack.client, app.engine.facade, log, { permalink: (ref) => chat.permalink(ref) });
  app.engine.facade.experiments.subscribe(() => home.changed());
  return home;
}

/** `faultline start` with a Slack token: the same engine and commands, with Slack as the chat. */
export async function startSlackBot(loaded: LoadedConfig, log: Logger): Promise<SlackBot> {
  const { config, env } = loaded;
  let app: App | undefined;
  // Routes are fixed when the receiver is built; the metrics registry and the webhook arrive with the app.
  const routes: OpsRoute[] = botRoutes(
    () => app,
    () => {
      if (!app) return { starting: true };
      return { mode: slack.mode, running: app.engine.experiments.running().length, halted: app.engine.killSwitch.state() !== null };
    },
  );
  const { slack, chat, extraApprovers } = slackParts(loaded, log, routes);
  const booted = await boot({ config, chat, log, embedded: loaded.source === 'embedded defaults', env, ...(extraApprovers ? { extraApprovers } : {}) });
  app = booted.app;
  const live = booted.app;
  const home = homeDesk(slack, chat, live, log);
  const handlers = registerSlackHandlers(slack.bolt, {
    home,
    people: chat.people,
    commands: localGateway(live.engine.facade, commandRegistry(), log),
    log,
    // Kept in the store: a request handled before a restart is still known after it.
    guard: new ReplayGuard(live.store.seenRequests),
    maxDurationMs: config.caps.maxDuration,
    playbookChoices: () => playbookChoices(live.playbooks),
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
