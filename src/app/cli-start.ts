import { ConsoleChat, runConsole } from '../adapters/chat/console/index.js';
import { commandRegistry } from '../../commands/index.js';
import { boot, logFileFor } from './boot.js';
import { readConfig, redactedConfig, withDemoApprovers, type LoadedConfig } from './config.js';
import { createLogger } from './logger.js';
import type { Logger } from 'pino';
import type { App } from './compose.js';
import { installLastResort } from './last-resort.js';
import { botRoutes } from './ops-routes.js';
import { startOpsServer } from './ops-server.js';
import { localGateway } from '../../commands/command-gateway.js';
import { leaderFence } from './replica/fence.js';
import { pipelineDesk } from './replica/pipeline-desk.js';
import { LEADERSHIP_LOST_EXIT, ReplicaNode } from './replica/replica-node.js';
import type { FenceToken } from '../store/leases.js';
import { storeOptions, type Config } from './config.js';
import { openStore } from '../store/index.js';

/** `faultline start`: Slack when SLACK_BOT_TOKEN is set, otherwise the interactive console. */
export async function startAction(opts: { config?: string; user: string }): Promise<void> {
  const read = readConfig(opts.config ? { file: opts.config } : {});
  if (read.env.slackBotToken) return startSlack(read);
  // The console is for trying things out: with no approvers configured, its demo users approve.
  const loaded = { ...read, config: withDemoApprovers(read.config) };
  const { config } = loaded;
  const interactive = Boolean(process.stdin.isTTY);
  const logFile = logFileFor(config);
  const log = createLogger({ level: config.log.level, file: logFile });
  log.info({ config: redactedConfig(loaded) }, 'configuration read');
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const chat = new ConsoleChat(out);
  let booted: App | undefined;
  installLastResort({ log, faults: () => booted?.engine.runner.faults });
  // The console serves HTTP (webhooks, /metrics, /healthz) only when a port is configured.
  const serveHttp = loaded.portConfigured === true;
  // On PostgreSQL the console is one replica among others: it acts once it holds the lease.
  const replica = config.store.url ? await consoleReplica(config, log, out) : undefined;
  const { app, sandbox } = await boot({
    config,
    chat,
    log,
    embedded: loaded.source === 'embedded defaults',
    env: loaded.env,
    httpServed: serveHttp,
    ...(replica ? { fence: (store) => leaderFence(replica.node.election, store.leases) } : {}),
  });
  replica?.node.lead(replica.token, { commands: localGateway(app.engine.facade, commandRegistry(), log), homeOpened: () => undefined, pipeline: pipelineDesk(app) });
  booted = app;
  let ops: { url: string; close(): Promise<void> } | undefined;
  if (serveHttp) {
    const status = () => ({ mode: 'console', running: app.engine.experiments.running().length, halted: app.engine.killSwitch.state() !== null });
    try {
      ops = await startOpsServer(botRoutes(() => app, status), config.server.host, config.server.port);
    } catch (err) {
      log.error({ err, host: config.server.host, port: config.server.port }, 'http server failed to start');
      await app.shutdown('http server failed to start');
      await sandbox?.stop();
      throw err;
    }
    log.info({ url: ops.url, webhooks: Boolean(app.webhookRoute) }, 'http server listening');
  }

  let stopping = false;
  const stop = async (why: string, code: number) => {
    if (stopping) return;
    stopping = true;
    out(`\n(${why}: aborting and reverting anything running, then exiting)`);
    try {
      await app.shutdown(why);
      await replica?.node.stop({ release: true });
      await ops?.close();
      await sandbox?.stop();
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      code = 1;
    }
    process.exit(code);
  };
  process.once('SIGINT', () => void stop('interrupted', 130));
  process.once('SIGTERM', () => void stop('terminated', 143));
  process.once('SIGHUP', () => void stop('terminal closed', 129));

  if (interactive) {
    out(`Faultline console: config ${loaded.source}; playbooks: ${[...app.playbooks.keys()].sort().join(', ') || '(none)'}`);
    if (sandbox) out(`Sandbox: ${sandbox.proxyUrl} (stats ${sandbox.adminUrl}/stats)${sandbox.owned ? '' : ' (already running)'}`);
    out(`Logs: ${logFile}. Type /chaos help; /as <user> switches who is typing; /quit leaves.`);
  }
  if (ops) out(`HTTP: ${ops.url} (GET /healthz, GET /readyz, GET /metrics${app.webhookRoute ? ', POST /webhooks/pagerduty' : ''})`);
  for (const r of app.playbookReports.filter((x) => !x.ok)) out(`! playbook ${r.file} skipped:\n${r.problems.map((p) => `    ${p}`).join('\n')}`);
  if (app.reconcileReport.recovered.length + app.reconcileReport.orphansReverted.length > 0) {
    out(`! recovered after restart: ${[...app.reconcileReport.recovered, ...app.reconcileReport.orphansReverted.map((o) => o.handleId)].join(', ')}`);
  }
  out('ready');
  await runConsole({ input: process.stdin, output: process.stdout, interactive, engine: app.engine.facade, log, registry: commandRegistry(), config: { user: opts.user, channel: '#chaos' }, chat, onInterrupt: () => void stop('interrupted', 130) });
  stopping = true;
  await app.shutdown('console closed');
  await replica?.node.stop({ release: true });
  await ops?.close();
  await sandbox?.stop();
}

async function startSlack(loaded: LoadedConfig): Promise<void> {
  const log = createLogger({ level: loaded.config.log.level });
  log.info({ config: redactedConfig(loaded) }, 'configuration read');
  // Loaded only when Slack is used, so the console does not carry Bolt in memory.
  const { startSlackBot } = await import('./slack-start.js');
  let current: () => App | undefined = () => undefined;
  installLastResort({ log, faults: () => current()?.engine.runner.faults });
  // On PostgreSQL every process is a replica: it answers Slack at once and acts once it leads.
  let bot: { stop(reason: string): Promise<void> };
  if (loaded.config.store.url) {
    const replica = await (await import('./replica/replica-slack.js')).startReplicaSlackBot(loaded, log);
    current = replica.app;
    bot = replica;
  } else {
    const single = await startSlackBot(loaded, log);
    current = () => single.app;
    bot = single;
  }
  await new Promise<void>((resolve) => {
    const stop = (why: string, code: number) => {
      log.warn({ why }, 'stopping: aborting and reverting anything running');
      void bot
        .stop(why)
        .then(
          () => (process.exitCode = code),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exitCode = 1;
          },
        )
        .finally(resolve);
    };
    process.once('SIGINT', () => stop('interrupted', 130));
    process.once('SIGTERM', () => stop('terminated', 143));
  });
  // Keep-alive sockets of HTTP clients would hold the process open; everything is reverted by now.
  process.exit(process.exitCode ?? 0);
}

/**
 * The console on PostgreSQL: joins the replicas and waits for the lease before it builds its engine
 * (another bot may lead on the same database). Losing the lease later ends the process.
 */
async function consoleReplica(config: Config, log: Logger, out: (text: string) => void): Promise<{ node: ReplicaNode; token: FenceToken }> {
  openStore(storeOptions(config, process.cwd())).close();
  const node = new ReplicaNode(config.store.url!, config.replicas, log);
  node.election.onLost(() => {
    out('(this console lost the leader lease: another Faultline leads now; exiting)');
    process.exit(LEADERSHIP_LOST_EXIT);
  });
  const token = await new Promise<FenceToken>((resolve) => {
    node.election.onLeader(resolve);
    const waiting = setTimeout(() => out('(waiting for the leader lease: another Faultline leads on this database)'), 1500);
    node.election.onLeader(() => clearTimeout(waiting));
    node.start();
  });
  return { node, token };
}
