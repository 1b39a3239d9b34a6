import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { activeFaults, BIN, ROOT, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL } from './slack-requests.js';
import { startReplicaCluster, type ReplicaBot, type ReplicaCluster } from './replica-harness.js';

/**
 * `faultline start` processes on one real PostgreSQL, in Slack HTTP mode against the Slack
 * stand-in, on the real sandbox, through one cluster's life: commands into either replica, the
 * leader killed, a follower cut off from the database, leaders paused and woken. Each test goes on
 * from the replicas the one before left (a process start is the costly part).
 */
describe('replicas on one PostgreSQL', () => {
  let c: ReplicaCluster;
  let probe: Awaited<ReturnType<typeof slowProbe>>;
  let playbooks: string;
  /** Who leads and who follows, as the tests leave them. */
  let leader: ReplicaBot;
  let follower: ReplicaBot;
  beforeAll(async () => {
    // The steady state of `slow-precheck` is read from a probe that answers slowly: a leader can be paused before its inject.
    probe = await slowProbe(1500);
    playbooks = mkdtempSync(path.join(os.tmpdir(), 'faultline-replica-playbooks-'));
    mkdirSync(playbooks, { recursive: true });
    writeFileSync(path.join(playbooks, 'slow-precheck.yaml'), slowPlaybook(probe.url));
    // A short run that holds, for pipeline runs handed to the replicas.
    const latency = parse(readFileSync(path.join(ROOT, 'playbooks', 'sandbox', 'checkout-latency.yaml'), 'utf8')) as Record<string, unknown> & { fault: Record<string, unknown> };
    writeFileSync(path.join(playbooks, 'pipeline-held.yaml'), stringify({ ...latency, name: 'pipeline-held', fault: { ...latency.fault, duration: '3s' } }));
    c = await startReplicaCluster({ playbookDirs: [playbooks] });
  });
  afterAll(async () => {
    await c?.close();
    await probe?.close();
    rmSync(playbooks, { recursive: true, force: true });
  });

  const readyz = async (bot: ReplicaBot) => {
    const res = await fetch(`${await bot.base()}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const answerTo = async (responseId: string, timeoutMs = 15_000) => (await c.api.waitForResponse((r) => r.id === responseId, timeoutMs)).body as { text?: string };

  /** propose (alice) → approve (bob), every command sent to `via`; resolves with the id and the card. */
  const approvedThrough = async (via: ReplicaBot, playbook: string, extra = '') => {
    const proposed = await c.slash(via, `propose ${playbook}${extra}`, 'U0ALICE');
    expect(proposed.status).toBe(200);
    const answer = await answerTo(proposed.responseId);
    const id = /exp-[0-9a-f]+/.exec(JSON.stringify(answer))?.[0];
    expect(id, JSON.stringify(answer)).toBeDefined();
    const cardTs = await c.cardOf(id!);
    await c.click(via, 'approve', id!, 'U0BOB');
    await waitUntil('approved', () => stateOf(id!) === 'approved', 15_000);
    return { id: id!, cardTs };
  };
  /** …then start (alice); resolves once the fault is in. */
  const runThrough = async (via: ReplicaBot, playbook: string, extra = '') => {
    await waitForSteadySandbox(c.sandbox.adminUrl);
    const run = await approvedThrough(via, playbook, extra);
    await c.click(via, 'start', run.id, 'U0ALICE');
    await waitUntil('the fault', async () => (await activeFaults(c.sandbox.adminUrl)).some((f) => f.experimentId === run.id), 20_000);
    return run;
  };
  const replicaReady = async (bot: ReplicaBot) => {
    await bot.logged('faultline ready on slack (replica)', 30_000);
    return bot;
  };

  it('the leader is SIGKILLed mid-fault: the follower takes over, reverts the fault within 15 s, says so in the thread, and answers', async () => {
    const a = c.spawn('a');
    await a.logged('leading: engine started', 30_000);
    const b = await replicaReady(c.spawn('b'));
    expect((await readyz(a)).body).toMatchObject({ ready: true, role: 'leader' });
    expect((await readyz(b)).body).toMatchObject({ ready: true, role: 'follower' });
    // Every replica answers a scrape: its own gauges, and the bot's metrics on the leader only.
    const metrics = async (bot: ReplicaBot) => (await fetch(`${await bot.base()}/metrics`)).text();
    const [onLeader, onFollower] = await Promise.all([metrics(a), metrics(b)]);
    expect(onLeader).toMatch(/^faultline_replica_leader\{app="faultline"\} 1$/m);
    expect(onLeader).toContain('faultline_experiments');
    expect(onFollower).toMatch(/^faultline_replica_leader\{app="faultline"\} 0$/m);
    expect(onFollower).toMatch(/^faultline_replica_database_up\{app="faultline"\} 1$/m);
    expect(onFollower).not.toContain('faultline_experiments');

    // Every command goes to the follower; the leader acts and posts the card.
    const { id, cardTs } = await runThrough(b, 'checkout-latency', ' duration=2m');
    a.child.kill('SIGKILL');
    await a.exited;
    await b.logged('leading: engine started', 20_000);
    await waitUntil('the fault reverted by the new leader', async () => (await activeFaults(c.sandbox.adminUrl)).length === 0, 20_000);
    // With the old leader dead, only the new one can have reverted it; how fast is `npm run bench replicas`'s figure.
    await waitUntil('the recovery in the thread', () => c.threadTexts(cardTs).some((t) => /restart|recovered|reverted/i.test(t)), 10_000);

    const status = await c.slash(b, `status ${id}`, 'U0CAROL');
    expect(JSON.stringify(await answerTo(status.responseId))).toMatch(/aborted/i);
    expect((await readyz(b)).body).toMatchObject({ ready: true, role: 'leader', epoch: 2 });
    leader = b;
  });

  it('an abort sent to the follower reaches the leader at once and reverts its fault', async () => {
    follower = await replicaReady(c.spawn('c'));
    const { id, cardTs } = await runThrough(leader, 'checkout-latency', ' duration=2m');
    const abort = await c.slash(follower, `abort ${id} seen enough`, 'U0CAROL');
    expect(abort.status).toBe(200);
    await waitUntil('the fault reverted', async () => (await activeFaults(c.sandbox.adminUrl)).length === 0, 10_000);
    expect(JSON.stringify(await answerTo(abort.responseId))).not.toContain('replica_unavailable');
    await waitUntil('the abort in the thread', () => c.threadTexts(cardTs).some((t) => /abort/i.test(t)), 10_000);
    // Handed over through the database, run by the leader: the follower has no engine to run it.
    expect(leader.lines().some((l) => l.msg === 'handed-over command answered' && String(l.line).includes(`abort ${id}`))).toBe(true);
  });

  it('a follower cut off from the database refuses commands, saying so, and is not ready; the leader goes on', async () => {
    const proxy = await tcpProxy(new URL(c.url).port);
    const cutOff = await replicaReady(c.spawn('cut-off', { databaseUrl: c.url.replace(`:${new URL(c.url).port}/`, `:${proxy.port}/`) }));
    await waitUntil('the follower ready', async () => (await readyz(cutOff)).status === 200, 10_000);
    proxy.cut();
    const asked = await c.slash(cutOff, 'propose checkout-latency', 'U0ALICE');
    expect(asked.status).toBe(200);
    const answer = JSON.stringify(await answerTo(asked.responseId, 10_000));
    expect(answer).toContain('replica_unavailable');
    expect(answer).toMatch(/can't reach its database/);
    expect(answer).toContain('Nothing was done');
    await waitUntil('the follower not ready', async () => (await readyz(cutOff)).status === 503, 5000);
    expect((await readyz(cutOff)).body).toMatchObject({ ready: false, database: 'unreachable' });
    expect(handoffLines()).not.toContain('/chaos propose checkout-latency');
    // The leader, which reaches the database, still answers.
    const status = await c.slash(leader, 'status', 'U0ALICE');
    expect(JSON.stringify(await answerTo(status.responseId))).not.toContain('replica_unavailable');
    cutOff.child.kill('SIGTERM');
    await cutOff.exited;
    await proxy.close();
  });

  it('a SIGSTOPped leader that wakes after losing its lease injects nothing and exits 75', async () => {
    const { id } = await approvedThrough(follower, 'slow-precheck');
    const asked = probe.requests();
    await c.click(follower, 'start', id, 'U0ALICE');
    await waitUntil('the leader reading its steady state', () => probe.requests() > asked, 15_000);
    const since = follower.lines().length;
    leader.child.kill('SIGSTOP');
    await follower.logged('leading: engine started', 20_000, since);
    await waitUntil('the experiment recovered by the new leader', () => stateOf(id) === 'aborted', 10_000);
    // The probe answered long before the takeover (1.5 s against a 3 s lease): on waking, the old leader would go on to inject.
    leader.child.kill('SIGCONT');
    expect(await leader.exited).toBe(75);
    expect(leader.lines().some((l) => l.msg === 'leadership lost')).toBe(true);
    expect(await activeFaults(c.sandbox.adminUrl)).toEqual([]);
    expect(journalKinds(id)).not.toContain('inject-intent');
    leader = follower;
  });

  it('a SIGSTOPped leader whose fault ran out while it slept reverts nothing once awake: the new leader did', async () => {
    follower = await replicaReady(c.spawn('e'));
    const { id } = await runThrough(follower, 'checkout-latency', ' duration=5s');
    const [held] = await activeFaults(c.sandbox.adminUrl);
    const startedAt = Date.now();
    const since = follower.lines().length;
    leader.child.kill('SIGSTOP');
    await follower.logged('leading: engine started', 20_000, since);
    await waitUntil('the fault reverted by the new leader', async () => (await activeFaults(c.sandbox.adminUrl)).length === 0, 10_000);
    // Its fault's time ran out while it slept: on waking, the old leader's next step would be the revert.
    await new Promise((r) => setTimeout(r, Math.max(0, 6000 - (Date.now() - startedAt))));
    leader.child.kill('SIGCONT');
    expect(await leader.exited).toBe(75);
    expect(leader.lines().some((l) => l.msg === 'fault reverted')).toBe(false);
    // One revert on the record, the new leader's: the old one wrote nothing after it lost the lease.
    expect(journalKinds(id).filter((k) => k === 'reverted')).toHaveLength(1);
    expect(held!.experimentId).toBe(id);
    expect(await activeFaults(c.sandbox.adminUrl)).toEqual([]);
    expect(stateOf(id)).toBe('aborted');
  });

  it('faultline run on the replicas\' database: the leader runs it under a standing approval granted in Slack, and the exit code is its verdict', async () => {
    await waitForSteadySandbox(c.sandbox.adminUrl);
    const granted = await c.slash(follower, 'approve-standing pipeline-held for 1d', 'U0BOB');
    expect(JSON.stringify(await answerTo(granted.responseId))).toContain('Standing approval of pipeline-held');
    const junit = path.join(c.dir, 'fleet.xml');
    const r = await pipelineRun(['pipeline-held', '--as', 'ci-deploy', '--junit', junit, '--channel', CHANNEL]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/pipeline-held: held/);
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite name="pipeline-held"');
    // The run went through the leader (this process has no engine), and its card said under whose approval.
    expect(follower.lines().some((l) => l.msg === 'handed-over pipeline run answered')).toBe(true);
  });

  it('faultline run without a standing approval waits for an approver\'s click on the card, then starts it as the pipeline', async () => {
    await waitForSteadySandbox(c.sandbox.adminUrl);
    const revoked = await c.slash(follower, 'revoke-standing pipeline-held', 'U0CAROL');
    await answerTo(revoked.responseId);
    const cards = () => c.api.messagesIn(CHANNEL).filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes('pipeline-held'));
    const before = cards().length;
    const log: string[] = [];
    const running = pipelineRun(['pipeline-held', '--as', 'ci-deploy', '--timeout', '60s', '--channel', CHANNEL], log);
    await waitUntil('the pipeline card', () => cards().length > before, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- faultline run ---\n${log.join('')}\n--- channel ---\n${JSON.stringify(c.api.messagesIn(CHANNEL).slice(-3)).slice(0, 3000)}`);
    });
    const card = cards().at(-1)!;
    const id = /exp-[0-9a-f]+/.exec(JSON.stringify(card.blocks))![0];
    await c.click(follower, 'approve', id, 'U0BOB');
    const r = await running;
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.err).toContain('waits for an approver');
    expect(stateOf(id)).toBe('completed');
  });

  /** `faultline run` as a pipeline runs it, on the cluster's database. */
  function pipelineRun(args: string[], log: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, '--config', c.configFile, 'run', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: c.url, SLACK_BOT_TOKEN: '' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        log.push(d.toString());
      });
      child.once('exit', (code) => resolve({ code, out, err }));
    });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  function withStore<T>(fn: (s: ReturnType<typeof openStore>) => T): T {
    const s = openStore({ url: c.url });
    try {
      return fn(s);
    } finally {
      s.close();
    }
  }
  const stateOf = (id: string) => withStore((s) => (s.experiments.get(id)?.data as { record?: { state?: string } } | undefined)?.record?.state);
  const journalKinds = (id: string) => withStore((s) => s.journal(id).map((e) => e.kind));
  const handoffLines = () => withStore((s) => s.events({ kinds: ['command', 'refused'] }).map((e) => String(e.data.text ?? '')));
});

/** A TCP relay to PostgreSQL that can be cut: every connection dropped, new ones refused. */
async function tcpProxy(targetPort: string): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(targetPort), '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    cut() {
      server.close();
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  };
}

/** An HTTP probe that answers `{"p99Ms": 100}` after `delayMs`, counting the requests it got. */
async function slowProbe(delayMs: number): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let count = 0;
  const server = http.createServer((_req, res) => {
    count += 1;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ p99Ms: 100 }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/probe`, requests: () => count, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function slowPlaybook(probeUrl: string): string {
  return stringify({
    kind: 'Experiment',
    name: 'slow-precheck',
    hypothesis: 'If one checkout replica gets 300 ms slower, then checkout stays within bounds.',
    owner: 'team-checkout',
    target: { adapter: 'process', selector: { service: 'checkout' }, blastRadius: 'one' },
    fault: { type: 'latency', parameters: { ms: 300 }, duration: '1m' },
    steadyState: [{ name: 'slow probe under 300 ms', signal: { source: 'http', url: probeUrl, path: 'p99Ms' }, comparison: '<', threshold: 300 }],
    guardrails: [{ name: 'checkout error rate', signal: { source: 'http', url: '${sandboxAdmin}/stats', path: 'errorRate' }, comparison: '>', threshold: 0.5, for: '10s' }],
  });
}
