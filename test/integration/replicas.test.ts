import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { activeFaults, waitUntil } from './harness.js';
import { startReplicaCluster, type ReplicaBot, type ReplicaCluster } from './replica-harness.js';

/**
 * Two `faultline start` processes on one real PostgreSQL, in Slack HTTP mode against the Slack
 * stand-in, on the real sandbox: commands into either, the leader killed, paused and cut off.
 */
describe('replicas on one PostgreSQL', () => {
  let c: ReplicaCluster;
  beforeAll(async () => {
    c = await startReplicaCluster();
  });
  afterAll(async () => {
    await c?.close();
  });

  const readyz = async (bot: ReplicaBot) => {
    const res = await fetch(`${await bot.base()}/readyz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const answerTo = async (responseId: string, timeoutMs = 15_000) => (await c.api.waitForResponse((r) => r.id === responseId, timeoutMs)).body as { text?: string };

  /** propose (alice) → approve (bob) → start (alice), every command sent to `via`; resolves once the fault is in. */
  const runThrough = async (via: ReplicaBot, playbook: string, extra = '') => {
    const proposed = await c.slash(via, `propose ${playbook}${extra}`, 'U0ALICE');
    expect(proposed.status).toBe(200);
    const answer = await answerTo(proposed.responseId);
    const id = /exp-[0-9a-f]+/.exec(JSON.stringify(answer))?.[0];
    expect(id, JSON.stringify(answer)).toBeDefined();
    const cardTs = await c.cardOf(id!);
    await c.click(via, 'approve', id!, 'U0BOB');
    await waitUntil('approved', () => c.threadTexts(cardTs).some((t) => /approved/i.test(t)), 15_000);
    await c.click(via, 'start', id!, 'U0ALICE');
    await waitUntil('the fault', async () => (await activeFaults(c.sandbox.adminUrl)).some((f) => f.experimentId === id), 20_000);
    return { id: id!, cardTs };
  };

  it('the leader is SIGKILLed mid-fault: the follower takes over, reverts the fault within 15 s, says so in the thread, and answers', async () => {
    const a = c.spawn('a');
    await a.logged('leading: engine started');
    const b = c.spawn('b');
    await b.logged('faultline ready on slack (replica)');
    expect((await readyz(a)).body).toMatchObject({ ready: true, role: 'leader' });
    expect((await readyz(b)).body).toMatchObject({ ready: true, role: 'follower' });

    // Every command goes to the follower; the leader acts and posts the card.
    const { id, cardTs } = await runThrough(b, 'checkout-latency', ' duration=2m');
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    await b.logged('leading: engine started', 20_000);
    await waitUntil('the fault reverted by the new leader', async () => (await activeFaults(c.sandbox.adminUrl)).length === 0, 20_000);
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    await waitUntil('the recovery in the thread', () => c.threadTexts(cardTs).some((t) => /restart|recovered|reverted/i.test(t)), 10_000);

    const status = await c.slash(b, `status ${id}`, 'U0CAROL');
    expect(JSON.stringify(await answerTo(status.responseId))).toMatch(/aborted/i);
    expect((await readyz(b)).body).toMatchObject({ ready: true, role: 'leader', epoch: 2 });
  });
});
