import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { activeFaults, ROOT, statsRequests, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';

/**
 * The on-call handshake through a real Bolt app, the Slack stand-in and the PagerDuty stand-in: the
 * on-call of the playbook's linked service is learned from PagerDuty (GET /services/{id}, GET
 * /oncalls), found in Slack by email (users.lookupByEmail), asked in the card's thread with an
 * Acknowledge button and by DM (conversations.open + chat.postMessage), and their click starts the run.
 */
const SERVICE = 'PWEBSVC';
const DORA = 'U0DORA';
const DORA_EMAIL = 'dora@example.com';

/** checkout-latency, short, needing the on-call of SERVICE (and, for `hurry`, within 1 s). */
function playbook(name: string, extra: string): string {
  const base = readFileSync(path.join(ROOT, 'playbooks', 'sandbox', 'checkout-latency.yaml'), 'utf8');
  return base.replace(/^name: checkout-latency$/m, `name: ${name}`).replace(/^ {2}duration: 1m$/m, '  duration: 3s') + `\nonCall: require\npagerduty: { services: [${SERVICE}] }\n${extra}`;
}

describe('Slack: the on-call handshake (onCall: require) with PagerDuty on-calls', () => {
  let pd: PagerDutyStandIn;
  let h: SlackHarness;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-oncall-'));
    writeFileSync(path.join(extra, 'oncall-latency.yaml'), playbook('oncall-latency', ''));
    writeFileSync(path.join(extra, 'oncall-hurry.yaml'), playbook('oncall-hurry', 'onCallTimeout: 1s\n'));
    pd = await PagerDutyStandIn.start({ token: 'pd-token' });
    pd.oncalls.addUser({ id: 'PDORA01', name: 'Dora Oncall', email: DORA_EMAIL });
    pd.oncalls.addUser({ id: 'PERIK01', name: 'Erik Backup', email: 'erik@example.com' });
    pd.oncalls.addService({ id: SERVICE, name: 'Web checkout', escalationPolicyId: 'PEPWEB' });
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPWEB', userId: 'PDORA01', level: 1 });
    pd.oncalls.putOnCall({ escalationPolicyId: 'PEPWEB', userId: 'PERIK01', level: 2 });
    h = await startSlackHarness(
      { pagerduty: { apiUrl: pd.url, eventsUrl: pd.url, pollInterval: '1h', autoFreeze: false } },
      { pagerdutyApiToken: 'pd-token' },
      { extraPlaybookDirs: [extra] },
    );
    h.api.setUser(DORA, { name: 'dora', displayName: 'Dora O.', email: 'Dora@Example.com' });
    h.api.setUser('U0ERIK', { name: 'erik', email: 'erik@example.com' });
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
    if (extra) rmSync(extra, { recursive: true, force: true });
  });

  const engine = () => h.bot.app.engine;
  const state = (id: string) => engine().experiments.get(id).record.state;
  const cardOf = (id: string) => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`${id} ·`));
  const asksIn = (cardTs: string) => h.api.messagesIn(CHANNEL).filter((m) => m.thread_ts === cardTs && JSON.stringify(m.blocks ?? []).includes('"action_id":"oncallack"'));
  const answerTo = async (r: { responseId: string }) => (await h.api.waitForResponse((x) => x.id === r.responseId, 10_000)).body;
  const kinds = (id: string) => h.bot.app.store.journal(id).map((e) => e.kind);

  /** propose (alice) → approve (bob): the approved experiment and its card. */
  async function approved(name: string): Promise<{ id: string; cardTs: string }> {
    const before = new Set(engine().experiments.list(100).map((e) => e.record.id));
    await h.slash(`propose ${name}`, 'U0ALICE');
    let id = '';
    await waitUntil('the proposal', () => (id = engine().experiments.list(100).find((e) => !before.has(e.record.id))?.record.id ?? '') !== '');
    await waitUntil('the card', () => cardOf(id) !== undefined);
    await h.click('approve', id, 'U0BOB');
    await waitUntil('approved', () => state(id) === 'approved');
    return { id, cardTs: cardOf(id)!.ts };
  }

  it("start asks the on-call (found by email) in the thread and by DM; someone else's click is refused; the on-call's click starts the run, which reverts at the end", async () => {
    await waitForSteadySandbox(h.sandbox.adminUrl);
    const { id, cardTs } = await approved('oncall-latency');
    const start = await h.click('start', id, 'U0ALICE');
    expect(start.status).toBe(200);
    await waitUntil('the ask in the thread', () => asksIn(cardTs).length === 1, 10_000);
    expect(state(id)).toBe('approved');
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    // The card did not move: Alice, who pressed Start, hears that it waits for the on-call.
    const waiting = await answerTo(start);
    expect(waiting.response_type).toBe('ephemeral');
    expect(JSON.stringify(waiting)).toContain(`${id} waits for the on-call`);

    // PagerDuty was asked for the service's policy, then who holds it now (with their emails).
    const oncallsCall = pd.requests.find((r) => r.path === '/oncalls')!;
    expect(pd.requests.some((r) => r.path === `/services/${SERVICE}`)).toBe(true);
    expect(oncallsCall.query['escalation_policy_ids[]']).toEqual(['PEPWEB']);
    expect(oncallsCall.authorization).toBe('Token token=pd-token');
    // Only the first responder (level 1) is asked; Slack found her by email, whatever its case.
    expect(h.api.callsTo('users.lookupByEmail', 'ok').map((c) => c.params.email)).toContain(DORA_EMAIL);
    const ask = JSON.stringify(asksIn(cardTs)[0]!.blocks);
    expect(ask).toContain(`<@${DORA}>`);
    expect(ask).not.toContain('<@U0ERIK>');
    expect(ask).toContain('Web checkout');
    expect(ask).toContain('"text":"Acknowledge"');
    expect(ask).toContain(`"value":"${id}"`);

    // Dora got it by DM too, with the button.
    await waitUntil('the DM to the on-call', () => h.api.directMessagesTo(DORA).length > 0, 10_000);
    expect(h.api.callsTo('conversations.open').map((c) => c.params.users)).toContain(DORA);
    expect(JSON.stringify(h.api.directMessagesTo(DORA)[0]!.blocks)).toContain('"action_id":"oncallack"');
    expect(h.api.directMessagesTo('U0ERIK')).toEqual([]);

    // Bob was not asked: only he hears so, and nothing starts.
    const bob = await h.click('oncallack', id, 'U0BOB');
    const refusal = await answerTo(bob);
    expect(refusal.response_type).toBe('ephemeral');
    expect(JSON.stringify(refusal)).toContain('oncall_not_asked');
    await new Promise((r) => setTimeout(r, 300));
    expect(state(id)).toBe('approved');
    expect(kinds(id)).not.toContain('inject-intent');

    // Dora acknowledges from the thread's button: the start goes on as Alice's.
    await waitForSteadySandbox(h.sandbox.adminUrl);
    await h.click('oncallack', id, DORA);
    await waitUntil('the fault', async () => (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === id), 15_000);
    await waitUntil('completed', () => state(id) === 'completed', 60_000);
    await engine().runner.settle();
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    const record = engine().experiments.get(id).record;
    expect(record.startedBy?.id).toBe('U0ALICE');
    const k = kinds(id);
    expect(k.indexOf('oncall-asked')).toBeLessThan(k.indexOf('oncall-acknowledged'));
    expect(k.indexOf('oncall-acknowledged')).toBeLessThan(k.indexOf('inject-intent'));
    await engine().notifier.flush();
    const thread = h.threadTexts(cardTs).join('\n');
    expect(thread).toContain(`On-call acknowledged by <@${DORA}>: every linked service is covered`);
    expect(thread).toContain('fault reverted');
  });

  it.each([
    [500, 1],
    [429, 4],
  ])('PagerDuty answering %i on /oncalls: the start is refused with oncall_unreachable and nobody is asked', async (status, times) => {
    const { id, cardTs } = await approved('oncall-latency');
    const dmsBefore = h.api.directMessagesTo(DORA).length;
    pd.failOn('/oncalls', status, times);
    const start = await h.click('start', id, 'U0ALICE');
    const answer = JSON.stringify(await answerTo(start));
    expect(answer).toContain('oncall_unreachable');
    expect(answer).toContain(`HTTP ${status}`);
    await engine().notifier.flush();
    expect(asksIn(cardTs)).toEqual([]);
    expect(h.api.directMessagesTo(DORA)).toHaveLength(dmsBefore);
    expect(state(id)).toBe('approved');
    expect(kinds(id)).not.toContain('oncall-asked');
    await h.slash(`reject ${id} PagerDuty is down`, 'U0BOB');
    await waitUntil('rejected', () => state(id) === 'rejected');
  });

  it('nobody acknowledges within onCallTimeout (1s): the thread says the start was refused; still approved, nothing injected', async () => {
    const { id, cardTs } = await approved('oncall-hurry');
    await h.click('start', id, 'U0ALICE');
    await waitUntil('the ask in the thread', () => asksIn(cardTs).length === 1, 10_000);
    await waitUntil('the timeout', () => kinds(id).includes('oncall-unacknowledged'), 10_000);
    await engine().notifier.flush();
    const thread = h.threadTexts(cardTs).join('\n');
    expect(thread).toMatch(/start refused: the on-call did not acknowledge within 1s: Web checkout \(Dora Oncall\)/);
    expect(thread).toContain('oncall_unacknowledged');
    expect(state(id)).toBe('approved');
    expect(kinds(id)).not.toContain('inject-intent');
    expect((await activeFaults(h.sandbox.adminUrl)).filter((f) => f.experimentId === id)).toEqual([]);
    // A late click is refused to Dora alone, and still nothing starts.
    const late = JSON.stringify(await answerTo(await h.click('oncallack', id, DORA)));
    expect(late).toContain('illegal_transition');
    await new Promise((r) => setTimeout(r, 300));
    expect(state(id)).toBe('approved');
  });
});
