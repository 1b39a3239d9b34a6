import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { createDatabase, usePostgres, type PostgresServer } from '../support/postgres.js';
import { BIN, ROOT, STATS_WINDOW_SECONDS, waitForSteadySandbox, waitUntil } from './harness.js';
import { startSandboxProcess, type SandboxProcess } from './sandbox-process.js';
import { CHANNEL, clickTo, SECRET, slashTo } from './slack-requests.js';

/** One `faultline start` process on the shared PostgreSQL, in Slack HTTP mode against the stand-in. */
export interface ReplicaBot {
  name: string;
  child: ChildProcess;
  /** Its pino lines so far. */
  lines(): Array<Record<string, unknown>>;
  output(): string;
  exited: Promise<number | null>;
  /** Its Slack events URL, once it listens. */
  events(): Promise<string>;
  /** Its HTTP base URL (/readyz, /healthz). */
  base(): Promise<string>;
  /** Resolves with the first log line whose msg is `msg` (after `since` lines). */
  logged(msg: string, timeoutMs?: number, since?: number): Promise<Record<string, unknown>>;
}

export interface ReplicaCluster {
  dir: string;
  pg: PostgresServer;
  url: string;
  api: SlackApiStandIn;
  sandbox: SandboxProcess;
  configFile: string;
  bots: ReplicaBot[];
  /** Starts one more replica; `databaseUrl` overrides the database it is pointed at. */
  spawn(name: string, opts?: { databaseUrl?: string; /** Another config file (e.g. SQLite's, for comparison). */ configFile?: string; readyMsg?: string }): ReplicaBot;
  slash(bot: ReplicaBot, text: string, user: string): Promise<{ status: number; responseId: string }>;
  click(bot: ReplicaBot, actionId: string, value: string, user: string): Promise<{ status: number; responseId: string }>;
  /** The card's ts of an experiment, once the leader posted it. */
  cardOf(id: string): Promise<string>;
  threadTexts(cardTs: string): string[];
  close(): Promise<void>;
}

/** Short lease so tests see takeovers in seconds; the defaults (10 s) are what the bench measures. */
export const TEST_REPLICAS = { leaseTtl: '3s', renewEvery: '1s', pollEvery: '250ms', handoffWait: '5s' };

export async function startReplicaCluster(
  opts: {
    replicas?: Record<string, unknown>;
    playbookDirs?: string[];
    extra?: Record<string, unknown>;
    /** A server of the caller's (the bench); else the tests' shared one. */
    pg?: PostgresServer;
    /** Socket Mode through this stand-in (its URL given by apps.connections.open) instead of HTTP. */
    socketUrl?: string;
  } = {},
): Promise<ReplicaCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-replicas-'));
  const pg = opts.pg ?? (await usePostgres());
  const url = createDatabase(pg, 'replicas').url;
  const api = await SlackApiStandIn.start();
  if (opts.socketUrl) api.setSocketUrl(opts.socketUrl);
  const sandbox = await startSandboxProcess({ statsWindowSeconds: STATS_WINDOW_SECONDS });
  const configFile = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      approvers: ['U0BOB', 'U0CAROL', 'U0ALICE'],
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [path.join(ROOT, 'playbooks'), ...(opts.playbookDirs ?? [])], vars: { sandboxAdmin: sandbox.adminUrl, sandboxProxy: sandbox.proxyUrl } },
      templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
      sandbox: { autoStart: false },
      server: { host: '127.0.0.1' },
      slack: { retries: 10 },
      engine: { guardrailInterval: '500ms', statusInterval: '1s', postcheckTimeout: '30s', signalTimeout: '5s', reconcileInterval: '10m' },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
      replicas: { ...TEST_REPLICAS, ...opts.replicas },
      log: { level: 'info' },
      ...opts.extra,
    }),
  );
  await waitForSteadySandbox(sandbox.adminUrl);
  const bots: ReplicaBot[] = [];
  const cluster: ReplicaCluster = {
    dir,
    pg,
    url,
    api,
    sandbox,
    configFile,
    bots,
    spawn(name, spawnOpts = {}) {
      const env: Record<string, string> = {
        SLACK_API_URL: api.url,
        DATABASE_URL: spawnOpts.configFile ? '' : (spawnOpts.databaseUrl ?? url),
        ...(opts.socketUrl ? { SLACK_APP_TOKEN: 'xapp-replica', SLACK_SIGNING_SECRET: '' } : {}),
      };
      const bot = spawnReplica(name, spawnOpts.configFile ?? configFile, env, spawnOpts.readyMsg);
      bots.push(bot);
      return bot;
    },
    slash: async (bot, text, user) => slashTo(await bot.events(), api, text, user),
    click: async (bot, actionId, value, user) => clickTo(await bot.events(), api, actionId, value, user),
    async cardOf(id) {
      await waitUntil(`the card of ${id}`, () => api.messagesIn(CHANNEL).some((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id)), 15_000);
      return api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id))!.ts;
    },
    threadTexts: (cardTs) =>
      api
        .messagesIn(CHANNEL)
        .filter((m) => m.thread_ts === cardTs)
        .map((m) => m.text ?? ''),
    async close() {
      for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
      await Promise.all(bots.map((b) => b.exited));
      await sandbox.stop();
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

export function spawnReplica(name: string, configFile: string, env: Record<string, string>, readyMsg = 'faultline ready on slack (replica)'): ReplicaBot {
  const child = spawn(process.execPath, [BIN, '--config', configFile, 'start'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-replica', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: '', PORT: '0', ...env },
  });
  let out = '';
  const parsed: Array<Record<string, unknown>> = [];
  let partial = '';
  const take = (d: Buffer) => {
    const text = d.toString();
    out += text;
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        parsed.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line (a warning from Node)
      }
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logged = async (msg: string, timeoutMs = 20_000, since = 0) => {
    await waitUntil(`${name} to log "${msg}"`, () => parsed.slice(since).some((l) => l.msg === msg), timeoutMs).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${name} ---\n${out.slice(-4000)}`);
    });
    return parsed.slice(since).find((l) => l.msg === msg)!;
  };
  const base = async () => String((await logged(readyMsg, 30_000)).url);
  return { name, child, lines: () => parsed, output: () => out, exited, logged, base, events: async () => `${await base()}/slack/events` };
}
