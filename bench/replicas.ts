/**
 * Replicas on PostgreSQL, as real `faultline start` processes in Slack HTTP mode against the Slack
 * stand-in, on the real sandbox and a real PostgreSQL (started here), with the default lease
 * settings (leaseTtl 10 s, renewEvery 2 s, pollEvery 500 ms):
 *  - failover: the leader SIGKILLed at a random point of its renewal cycle, 10 times; the time until
 *    the follower has taken the lease, reconciled and started its engine (its log line's time);
 *  - abort through the follower: a signed `/chaos abort` into the follower while the leader's fault
 *    is in, until the sandbox holds no fault;
 *  - commands per second one replica answers (`status`, `list`, 16 in flight, until every answer
 *    reached response_url): a bot on SQLite, the leader on PostgreSQL, a follower handing them over.
 */
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { activeFaults, waitForSteadySandbox, waitUntil } from '../test/integration/harness.js';
import { startReplicaCluster, type ReplicaBot, type ReplicaCluster } from '../test/integration/replica-harness.js';
import { CHANNEL } from '../test/integration/slack-requests.js';
import { startPostgres } from '../test/support/postgres.js';
import { summary } from './stats.js';

const KILLS = Number(process.env.BENCH_FAILOVERS ?? 10);
const ABORTS = Number(process.env.BENCH_REPLICA_ABORTS ?? 10);
const COMMANDS = Number(process.env.BENCH_REPLICA_COMMANDS ?? 300);
const IN_FLIGHT = 16;
const DEFAULTS = { leaseTtl: '10s', renewEvery: '2s', pollEvery: '500ms', handoffWait: '10s' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchReplicas(log: (line: string) => void): Promise<void> {
  const pg = await startPostgres();
  let c: ReplicaCluster | undefined;
  try {
    c = await startReplicaCluster({ pg, replicas: DEFAULTS });
    let leader = c.spawn('r0');
    await leader.logged('leading: engine started', 60_000);
    let follower = c.spawn('r1');
    await follower.logged('faultline ready on slack (replica)', 60_000);

    await throughput(c, leader, follower, log);
    await abortThroughFollower(c, follower, log);

    const failovers: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      // Anywhere in the renewal cycle: the lease has between 8 and 10 s left when the leader dies.
      await sleep(Math.random() * 2000);
      const since = follower.lines().length;
      const killedAt = Date.now();
      leader.child.kill('SIGKILL');
      await leader.exited;
      const started = await follower.logged('leading: engine started', 30_000, since);
      failovers.push(Number(started.time) - killedAt);
      leader = follower;
      follower = c.spawn(`r${i + 2}`);
      await follower.logged('faultline ready on slack (replica)', 60_000);
    }
    log(summary(`replicas: failover, leader SIGKILLed → follower leads with its engine started (lease 10 s, ${KILLS} kills)`, failovers, 'ms'));
  } finally {
    await c?.close();
    await pg.stop();
  }
}

/** propose → approve → start through `via`; resolves with the experiment's id once its fault is in. */
async function running(c: ReplicaCluster, via: ReplicaBot): Promise<string> {
  await waitForSteadySandbox(c.sandbox.adminUrl);
  const proposed = await c.slash(via, 'propose checkout-latency duration=5m', 'U0ALICE');
  const answer = await c.api.waitForResponse((r) => r.id === proposed.responseId, 15_000);
  const id = /exp-[0-9a-f]+/.exec(JSON.stringify(answer.body))?.[0];
  if (!id) throw new Error(`no proposal: ${JSON.stringify(answer.body)}`);
  const cardTs = await c.cardOf(id);
  await c.click(via, 'approve', id, 'U0BOB');
  await waitUntil('approved', () => c.threadTexts(cardTs).some((t) => /approved/i.test(t)), 15_000);
  await c.click(via, 'start', id, 'U0ALICE');
  await waitUntil('the fault', async () => (await activeFaults(c.sandbox.adminUrl)).some((f) => f.experimentId === id), 30_000);
  return id;
}

async function abortThroughFollower(c: ReplicaCluster, follower: ReplicaBot, log: (line: string) => void): Promise<void> {
  const reverted: number[] = [];
  const answered: number[] = [];
  for (let i = 0; i < ABORTS; i++) {
    const id = await running(c, follower);
    const sent = Date.now();
    const abort = await c.slash(follower, `abort ${id} bench`, 'U0CAROL');
    const answer = c.api.waitForResponse((r) => r.id === abort.responseId, 15_000).then(() => answered.push(Date.now() - sent));
    for (;;) {
      if ((await activeFaults(c.sandbox.adminUrl)).length === 0) break;
      await sleep(5);
    }
    reverted.push(Date.now() - sent);
    await answer;
    await waitUntil('the experiment over', () => c.threadTexts(c.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(id))!.ts).some((t) => /aborted/i.test(t)), 30_000);
  }
  log(summary('replicas: abort typed into the follower → fault reverted by the leader', reverted, 'ms'));
  log(summary('replicas: abort typed into the follower → its answer at response_url', answered, 'ms'));
}

async function throughput(c: ReplicaCluster, leader: ReplicaBot, follower: ReplicaBot, log: (line: string) => void): Promise<void> {
  // The same bot on SQLite, for comparison: its own config file beside the cluster's.
  const sqliteConfig = path.join(c.dir, 'sqlite.config.yaml');
  const config = parse(readFileSync(c.configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(sqliteConfig, stringify({ ...config, store: { path: path.join(c.dir, 'faultline.db') } }));
  const single = c.spawn('sqlite', { configFile: sqliteConfig, readyMsg: 'faultline ready on slack' });
  await single.base();
  const rows: string[] = [];
  for (const [label, bot] of [
    ['SQLite, one bot', single],
    ['PostgreSQL, the leader', leader],
    ['PostgreSQL, a follower (handed to the leader)', follower],
  ] as const) {
    const times: number[] = [];
    let next = 0;
    const t0 = Date.now();
    const worker = async () => {
      while (next < COMMANDS) {
        const i = next++;
        const sent = Date.now();
        const r = await c.slash(bot, i % 2 === 0 ? 'status' : 'list', `U0B${i % 5}`);
        if (r.status !== 200) throw new Error(`${label}: ${r.status}`);
        await c.api.waitForResponse((x) => x.id === r.responseId, 30_000);
        times.push(Date.now() - sent);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (Date.now() - t0) / 1000;
    rows.push(`  ${label.padEnd(48)} ${(COMMANDS / seconds).toFixed(0).padStart(5)} commands/s   ${summary('answer', times, 'ms').replace(/^answer: /, '')}`);
  }
  single.child.kill('SIGTERM');
  await single.exited;
  log(`replicas: commands one replica answers (${COMMANDS} status/list, ${IN_FLIGHT} in flight, until each answer reached response_url):\n${rows.join('\n')}`);
}
