/**
 * Slack ack latency: 200 signed slash commands, 50 in flight, against Faultline (`faultline start`
 * in its own process, HTTP mode) and, in the same run, a bare Bolt app that only acks (its own
 * process too). Both talk to the same Web API stand-in, which runs here with the load client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startSandbox } from '../src/sandbox/index.js';
import { SlackApiStandIn } from '../test/fakes/slack-api.js';
import { slashCommandFixture } from '../test/fakes/slack-fixtures.js';
import { postSigned, slashCommandForm } from '../test/fakes/slack-signing.js';
import { percentile, summary } from './stats.js';

const SECRET = 'bench-signing-secret';
const TOTAL = Number(process.env.BENCH_SLACK_COMMANDS ?? 200);
const IN_FLIGHT = 50;
const ROOT = path.resolve(import.meta.dirname, '..');
// What people type most, plus proposals, which do the most work after the ack.
const TEXTS = ['status', 'list', 'help', 'propose checkout-latency'];

const sentAt = new Map<string, number>();

async function fire(url: string, api: SlackApiStandIn, label: string): Promise<number[]> {
  const times: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      const form = { ...slashCommandFixture('slash-command.propose'), text: TEXTS[i % TEXTS.length]!, user_id: `U0B${i % 7}`, response_url: api.responseUrl(`${label}-${i}`), trigger_id: `${label}.${i}` };
      sentAt.set(`${label}-${i}`, Date.now());
      const res = await postSigned(url, slashCommandForm(form), { secret: SECRET });
      if (res.status !== 200) throw new Error(`${label}: request ${i} answered ${res.status}: ${res.body}`);
      times.push(res.ms);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return times;
}

function launch(cmd: string, args: string[], env: Record<string, string>, readyMsg: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        try {
          const j = JSON.parse(line) as { msg?: string; url?: string };
          if (j.msg === readyMsg && j.url) return resolve({ child, url: j.url });
        } catch {
          // not a whole JSON line yet
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before ready:\n${out}`)));
  });
}

const stop = (c: ChildProcess) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))));

export async function benchSlackAck(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-slack-'));
  const api = await SlackApiStandIn.start();
  const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 10 });
  const configFile = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      // Slack refuses to start without approvers named (user ids).
      approvers: ['U0BENCH1', 'U0BENCH2'],
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { vars: { sandboxAdmin: sandbox.adminUrl } },
      server: { host: '127.0.0.1' },
      adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
      log: { level: 'info' },
    }),
  );
  const bare = await launch(process.execPath, ['--import', 'tsx', 'bench/bare-bolt-app.ts', SECRET, api.url], {}, 'ready');
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const ours = await launch(process.execPath, [...nodeArgs, 'src/app/faultline.mjs', '--config', configFile, 'start'], { SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SECRET, SLACK_APP_TOKEN: '', SLACK_API_URL: api.url, PORT: '0', FAULTLINE_CONFIG: '' }, 'faultline ready on slack').catch(async (err: unknown) => {
    await stop(bare.child);
    throw err;
  });
  try {
    await fire(`${bare.url}/slack/events`, api, 'warm-bare');
    await fire(`${ours.url}/slack/events`, api, 'warm-ours');
    const bareTimes = await fire(`${bare.url}/slack/events`, api, 'bare');
    const ourTimes = await fire(`${ours.url}/slack/events`, api, 'ours');
    log(summary(`slack ack latency, bare Bolt app (${TOTAL} commands, ${IN_FLIGHT} in flight)`, bareTimes, 'ms'));
    log(summary(`slack ack latency, Faultline (${TOTAL} commands, ${IN_FLIGHT} in flight)`, ourTimes, 'ms'));
    log(`slack ack p99 ratio, Faultline / bare: ${(percentile(ourTimes, 99) / percentile(bareTimes, 99)).toFixed(2)} (goal ≤ 1.5)`);
    // The work behind the acks still has to happen: wait for every answer and say how long it took.
    const deadline = Date.now() + 60_000;
    const answered = () => api.responses.filter((r) => r.id.startsWith('ours-'));
    while (answered().length < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const answerMs = answered().map((r) => r.at - sentAt.get(r.id)!);
    log(summary(`slack answer latency (command → reply posted), Faultline, ${answered().length}/${TOTAL} answered`, answerMs, 'ms'));
  } finally {
    await stop(ours.child);
    await stop(bare.child);
    await sandbox.stop();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
