import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import os from 'node:os';
import path from 'node:path';
import { ConsoleChat, ConsoleSession } from '../../src/adapters/chat/console/index.js';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { startSandboxProcess, type SandboxProcess as Sandbox } from './sandbox-process.js';
import { commandRegistry } from '../../commands/index.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface Harness {
  dir: string;
  sandbox: Sandbox;
  app: App;
  transcript: string[];
  session: ConsoleSession;
  close(): Promise<void>;
}

export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function statsRequests(adminUrl: string): Promise<number> {
  const res = await fetch(`${adminUrl}/stats`);
  return ((await res.json()) as { requests: number }).requests;
}

/**
 * Waits until the sandbox's own latency has settled (its first requests pay for replica start-up,
 * and a previous test's fault stays in the stats window for a while): the playbooks' steady state
 * ("p99 under 300 ms") is then true for a reason, not by luck.
 */
export async function waitForSteadySandbox(adminUrl: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    'the sandbox to be steady (p99 under 150 ms, no errors, traffic flowing)',
    async () => {
      const s = (await (await fetch(`${adminUrl}/stats`)).json()) as { p99Ms: number | null; errorRate: number | null; requests: number };
      return s.requests >= 20 && (s.p99Ms ?? Infinity) < 150 && (s.errorRate ?? 1) < 0.01;
    },
    timeoutMs,
  );
}

export async function activeFaults(adminUrl: string): Promise<Array<{ experimentId: string; handleId: string; type: string; targets?: string[]; params?: Record<string, unknown> }>> {
  return (await (await fetch(`${adminUrl}/faults`)).json()) as Array<{ experimentId: string; handleId: string; type: string }>;
}

/** A real sandbox (processes on free ports), a real SQLite file in a temp dir and the real engine. */
/**
 * The sandbox's `/stats` window in these tests. The playbooks' steady state is read over it, so after a
 * revert the post-check waits until the fault's errors have left it: a short window ends that wait sooner
 * (the sandbox's own default, 10 s, is for people watching a terminal).
 */
export const STATS_WINDOW_SECONDS = 4;

export async function startHarness(overrides: Record<string, unknown> = {}, sandboxOpts: { statsWindowSeconds?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-it-'));
  const sandbox = await startSandboxProcess({ statsWindowSeconds: STATS_WINDOW_SECONDS, ...sandboxOpts });
  await waitForSteadySandbox(sandbox.adminUrl);
  const config = Config.parse({
    approvers: ['alice', 'bob', 'carol'],
    store: { path: path.join(dir, 'faultline.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { dirs: [path.join(ROOT, 'playbooks')] },
    templates: { postmortem: path.join(ROOT, 'templates', 'postmortem.md.hbs') },
    sandbox: { autoStart: false },
    engine: { guardrailInterval: '500ms', statusInterval: '1s', postcheckTimeout: '30s', signalTimeout: '1s' },
    adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
    ...overrides,
  });
  const transcript: string[] = [];
  const write = (t: string) => transcript.push(t);
  const log = createLogger({ level: 'warn', file: path.join(dir, 'faultline.log') });
  const app = await createApp({ config, chat: new ConsoleChat(write), log, vars: playbookVars(config, sandbox), cwd: ROOT });
  const session = new ConsoleSession({ engine: app.engine.facade, log, registry: commandRegistry(), config: { user: 'alice', channel: '#chaos' }, write, echo: true });
  return {
    dir,
    sandbox,
    app,
    transcript,
    session,
    close: async () => {
      await app.shutdown('test finished');
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const BIN = path.join(ROOT, 'src', 'app', 'faultline.mjs');

export interface Bot {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  type: (line: string) => void;
}

/** `faultline --config <file> start` as its own process, stdin a pipe, stdout and stderr collected. */
export function spawnBot(configFile: string, env: Record<string, string> = {}): Bot {
  const child = spawn(process.execPath, [BIN, '--config', configFile, 'start'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SLACK_BOT_TOKEN: '', ...env } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited, type: (line) => void child.stdin!.write(`${line}\n`) };
}

export interface BotFixture {
  dir: string;
  sandbox: Sandbox;
  configFile: string;
  close(): Promise<void>;
}

/** A real sandbox with traffic flowing and a config file pointing a `faultline start` process at it. */
export async function startBotFixture(prefix: string, extra: Record<string, unknown> = {}, opts: { /** Playbook folders besides the shipped ones (their `${sandboxAdmin}` works too). */ extraPlaybookDirs?: string[] } = {}): Promise<BotFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const sandbox = await startSandboxProcess({ statsWindowSeconds: STATS_WINDOW_SECONDS });
  const configFile = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [path.join(ROOT, 'playbooks'), ...(opts.extraPlaybookDirs ?? [])], vars: { sandboxAdmin: sandbox.adminUrl, sandboxProxy: sandbox.proxyUrl } },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
      ...extra,
    }),
  );
  await waitUntil('sandbox traffic', async () => (await statsRequests(sandbox.adminUrl)) >= 40);
  await waitForSteadySandbox(sandbox.adminUrl);
  return {
    dir,
    sandbox,
    configFile,
    close: async () => {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
