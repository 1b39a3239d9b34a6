import path from 'node:path';
import type { Logger } from 'pino';
import { localGateway } from '../../../commands/command-gateway.js';
import { commandRegistry } from '../../../commands/index.js';
import { registerSlackHandlers, type HomeTab } from '../../adapters/chat/slack/handlers.js';
import type { HomeDesk } from '../../adapters/chat/slack/home.js';
import { ReplayGuard } from '../../adapters/chat/slack/replay-guard.js';
import type { SlackApp } from '../../adapters/chat/slack/slack-app.js';
import { loadPlaybooks } from '../../playbooks/load-playbooks.js';
import { signalSettings, targetSettings } from '../adapter-settings.js';
import { boot } from '../boot.js';
import { playbookVars, type App } from '../compose.js';
import { storeOptions, type LoadedConfig } from '../config.js';
import { openStore } from '../../store/index.js';
import { botRoutes, type OpsRoute } from '../ops-routes.js';
import { startOpsServer } from '../ops-server.js';
import { buildSignals, buildTargets } from '../registries.js';
import { homeDesk, playbookChoices, slackParts } from '../slack-start.js';
import { leaderFence } from './fence.js';
import { pipelineDesk } from './pipeline-desk.js';
import { LEADERSHIP_LOST_EXIT, ReplicaNode } from './replica-node.js';
import { replicaMetrics } from './replica-metrics.js';
import { errorText } from '../../core/errors.js';


export interface ReplicaSlackBot {
  node: ReplicaNode;
  slack: SlackApp;
  /** The app once this replica leads (undefined while it follows). */
  app(): App | undefined;
  url: string;
  stop(reason: string): Promise<void>;
}

/**
 * `faultline start` on a PostgreSQL store: one replica of several. Slack is answered at once, by
 * handing commands to the leader; the engine is built only when this replica wins the lease, with
 * every effect fenced by it. A replica that loses the lease stops acting at once and exits, so its
 * supervisor (the Deployment) starts it again as a follower, the way Kubernetes' own controllers do.
 */
export async function startReplicaSlackBot(loaded: LoadedConfig, log: Logger, opts: { exit?: (code: number) => void } = {}): Promise<ReplicaSlackBot> {
  const { config, env } = loaded;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  // The schema first (replicas starting together take turns on the migration lock): the lease lives in it.
  openStore(storeOptions(config, process.cwd())).close();
  const node = new ReplicaNode(config.store.url!, config.replicas, log);
  let app: App | undefined;
  let home: HomeDesk | undefined;
  let sandboxStop: (() => Promise<void>) | undefined;
  const gauges = replicaMetrics(node);
  // /metrics on every replica: its own gauges, and the bot's metrics once it leads.
  const metricsRoute: OpsRoute = {
    path: '/metrics',
    method: ['GET'],
    handler: (_req, res) => {
      // Two expositions one after the other (Registry.merge would drop each one's default labels).
      const leading = app;
      Promise.all([leading ? leading.metricsRegistry.metrics() : Promise.resolve(''), gauges.metrics()]).then(
        ([bot, own]) => {
          res.writeHead(200, { 'content-type': gauges.contentType });
          res.end(bot ? `${bot.trimEnd()}\n\n${own}` : own);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(errorText(err));
        },
      );
    },
  };
  const routes: OpsRoute[] = botRoutes(
    () => app,
    () => ({ mode: slack.mode, role: node.election.role, ...(app ? { running: app.engine.experiments.running().length, halted: app.engine.killSwitch.state() !== null } : {}) }),
    () => node.readiness(),
  ).map((r) => (r.path === '/metrics' ? metricsRoute : r));
  const { slack, chat, extraApprovers } = slackParts(loaded, log, routes);
  // The modal lists playbooks before this replica has an app: read from the files, as the leader does.
  const followerChoices = (() => {
    let cached: ReturnType<typeof playbookChoices> | undefined;
    return () => {
      if (app) return playbookChoices(app.playbooks);
      if (!cached) {
        const deps = { log, now: () => Date.now() };
        const registries = { targets: buildTargets(targetSettings(config), deps), signals: buildSignals(signalSettings(config), deps) };
        const files = loadPlaybooks(config.playbooks.dirs.map((d) => path.resolve(d)), registries, playbookVars(config), { maxFileBytes: config.playbooks.maxFileBytes });
        cached = playbookChoices(files.playbooks);
      }
      return cached;
    };
  })();
  const homeTab: HomeTab = {
    opened: (user) => node.homeOpened(user),
    changed: () => home?.changed(),
    notice: (user, text) => home?.notice(user, text),
  };
  const handlers = registerSlackHandlers(slack.bolt, {
    home: homeTab,
    people: chat.people,
    commands: node.commands,
    log,
    // The seen-requests table through the replica's own connection: shared by every replica.
    guard: new ReplayGuard(node.db),
    maxDurationMs: config.caps.maxDuration,
    playbookChoices: followerChoices,
  });

  node.election.onLost(() => {
    // Nothing more is done here: every effect is fenced already; the process goes, its faults are the new leader's.
    log.fatal({ holder: node.election.holder }, 'leadership lost: exiting so this replica starts again as a follower');
    exit(LEADERSHIP_LOST_EXIT);
  });
  node.election.onLeader((token) => {
    void (async () => {
      try {
        const booted = await boot({
          config,
          chat,
          log,
          embedded: loaded.source === 'embedded defaults',
          env,
          ...(extraApprovers ? { extraApprovers } : {}),
          fence: (store) => leaderFence(node.election, store.leases),
        });
        sandboxStop = booted.sandbox ? () => booted.sandbox!.stop() : undefined;
        app = booted.app;
        home = homeDesk(slack, chat, booted.app, log);
        const desk = home;
        node.lead(token, { commands: localGateway(booted.app.engine.facade, commandRegistry(), log), homeOpened: (user) => desk.opened(user), pipeline: pipelineDesk(booted.app) });
        log.warn({ holder: token.holder, epoch: token.epoch, recovered: booted.app.reconcileReport.recovered, orphansReverted: booted.app.reconcileReport.orphansReverted.length }, 'leading: engine started');
      } catch (err) {
        // A leader without an engine would hold the lease and act on nothing: let another replica lead.
        log.fatal({ err }, 'starting the engine as leader failed; letting the lease go');
        await node.stop({ release: true });
        exit(1);
      }
    })();
  });

  let ops: { url: string; close(): Promise<void> } | undefined;
  const started = await slack.start();
  if (slack.mode === 'socket') ops = await startOpsServer(routes, config.server.host, config.server.port);
  const url = started.url ?? ops!.url;
  node.start();
  log.info({ mode: slack.mode, url, holder: node.election.holder }, 'faultline ready on slack (replica)');
  let stopping: Promise<void> | undefined;
  return {
    node,
    slack,
    app: () => app,
    url,
    stop: (reason) =>
      (stopping ??= (async () => {
        if (!(await handlers.drain(5000))) log.warn({}, 'stopping with slack commands still queued');
        home?.stop();
        // A leader reverts what runs while it still holds the lease, then lets it go at once.
        if (app) await app.shutdown(reason);
        await node.stop({ release: true });
        await slack.stop().catch((err: unknown) => log.warn({ err }, 'slack stop failed'));
        await ops?.close();
        await sandboxStop?.();
      })()),
  };
}
