import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { PagerDutyStandIn } from '../fakes/pagerduty-api.js';
import { loadWebhookFixture, postWebhook, signPagerDuty } from '../fakes/pagerduty-webhooks.js';
import type { StoredMessage } from '../fakes/slack-workspace.js';
import { activeFaults, statsRequests, waitForSteadySandbox, waitUntil } from './harness.js';
import { CHANNEL, startSlackHarness, type SlackHarness } from './slack-harness.js';

/*
 * A blinded drill through real Bolt and the Slack stand-in: carol facilitates in the bot's channel
 * (C0CHAOS), dora responds in #oncall and is told only that a drill runs. At the end the bot reads
 * #oncall back (conversations.history, paged, and conversations.replies of the announcement's thread)
 * and reveals the fault there with the detection record.
 */

const ONCALL = '#oncall';
const DORA = 'U0DORA';
const MALLORY = 'U0MALLORY';
const SERVICE = 'PCHECKOUT';
const WEBHOOK_SECRET = 'pd-webhook-secret';

const drill = (name: string, duration: string, expected: string[]) => `
kind: GameDay
name: ${name}
title: Checkout drill (${name})
channel: "${CHANNEL}"
roles: { commander: U0CAROL }
blinded: true
responders: { channel: "${ONCALL}", people: [${DORA}] }
expectedAlerts: [${expected.map((a) => `"${a}"`).join(', ')}]
steps:
  - { playbook: checkout-latency, blastRadius: one, duration: ${duration} }
`;

/** Everything a message shows: its fallback text and the text of its blocks. */
const shown = (m: StoredMessage): string => [m.text ?? '', JSON.stringify(m.blocks ?? [])].join('\n');

/** A PagerDuty v3 webhook for an incident on the linked service, opened now. */
function incidentWebhook(type: 'incident.triggered' | 'incident.acknowledged', o: { eventId: string; incidentId: string; title: string; createdAt: string }): string {
  const body = loadWebhookFixture(type) as unknown as { event: Record<string, unknown> & { data: Record<string, unknown> & { service: { id: string } } } };
  body.event.id = o.eventId;
  body.event.occurred_at = new Date().toISOString();
  body.event.data.id = o.incidentId;
  body.event.data.title = o.title;
  body.event.data.html_url = `https://acme.pagerduty.com/incidents/${o.incidentId}`;
  body.event.data.created_at = o.createdAt;
  body.event.data.service.id = SERVICE;
  return JSON.stringify(body);
}

describe('a blinded drill in Slack: the responders hear only that a drill runs; the reveal and the detection record come at the end', () => {
  let h: SlackHarness;
  let pd: PagerDutyStandIn;
  let extra: string;
  beforeAll(async () => {
    extra = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-drill-'));
    writeFileSync(path.join(extra, 'slack-drill.yaml'), drill('slack-drill', '30s', ['Checkout latency', 'Checkout error budget']));
    writeFileSync(path.join(extra, 'slack-drill-quiet.yaml'), drill('slack-drill-quiet', '2s', ['Checkout latency']));
    pd = await PagerDutyStandIn.start();
    h = await startSlackHarness(
      { pagerduty: { linkedServices: [SERVICE], apiUrl: pd.url, eventsUrl: pd.url, pollInterval: '1h', autoFreeze: false } },
      { pagerdutyApiToken: 'pd-token', pagerdutyWebhookSecrets: [WEBHOOK_SECRET], pagerdutyRoutingKey: 'R0UTINGKEY' },
      { extraPlaybookDirs: [extra] },
    );
    await waitUntil('sandbox traffic', async () => (await statsRequests(h.sandbox.adminUrl)) >= 40);
  });
  afterAll(async () => {
    await h?.close();
    await pd?.close();
    rmSync(extra, { recursive: true, force: true });
  });

  const days = () => h.bot.app.engine.gamedays;
  const record = (id: string): GameDayRecord => days().get(id).record;
  const oncall = () => h.api.messagesIn(ONCALL).filter((m) => m.user === undefined);

  /** `/chaos gameday start` (alice), Approve (bob), Continue (carol): resolves once step 1's fault is in. */
  async function runningDrill(name: string): Promise<{ id: string; cardTs: string; experimentId: string }> {
    await waitForSteadySandbox(h.sandbox.adminUrl);
    const before = new Set(days().list(20).map((d) => d.record.id));
    expect((await h.slash(`gameday start ${name}`, 'U0ALICE')).status).toBe(200);
    await waitUntil('the game day', () => days().list(20).some((d) => !before.has(d.record.id)));
    const id = days().list(20).find((d) => !before.has(d.record.id))!.record.id;
    const cardOf = () => h.api.messagesIn(CHANNEL).find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(`${id} ·`));
    await waitUntil('the game-day card', () => cardOf() !== undefined);
    await h.click('gdapprove', id, 'U0BOB');
    await waitUntil('approved', () => record(id).state === 'approved');
    await h.click('gdcontinue', id, 'U0CAROL');
    await waitUntil('step 1 to inject', async () => {
      const exp = record(id).steps[0]!.experimentId;
      return !!exp && (await activeFaults(h.sandbox.adminUrl)).some((f) => f.experimentId === exp);
    }, 30_000);
    await waitUntil('the injection on the record', () => typeof h.bot.app.engine.experiments.get(record(id).steps[0]!.experimentId!).record.injectedAt === 'number');
    return { id, cardTs: cardOf()!.ts, experimentId: record(id).steps[0]!.experimentId! };
  }

  it("dora's replies in #oncall (one in the announcement's thread) are read back: first signal, the expected alert fired, all of it in the reveal, the facilitator's thread and the report", async () => {
    const { id, cardTs, experimentId } = await runningDrill('slack-drill');
    await h.bot.app.engine.notifier.flush();

    // While the step runs the responders' channel holds exactly the announcement, naming nothing of what runs.
    const exp = h.bot.app.engine.experiments.get(experimentId).record;
    expect(oncall()).toHaveLength(1);
    const announcement = oncall()[0]!;
    expect(announcement.thread_ts).toBeUndefined();
    expect(shown(announcement)).toContain('A drill is running');
    expect(shown(announcement)).toContain(id);
    for (const secret of ['latency', 'checkout-latency', exp.plan.fault.type, experimentId, ...exp.plan.targets.map((t) => t.name)]) expect(shown(announcement)).not.toContain(secret);
    // PagerDuty's change event says a drill runs, not what (its summary: see the report on custom_details.playbook).
    const summaries = () => pd.changeEvents.map((e) => String((e.payload as { summary?: unknown } | undefined)?.summary ?? ''));
    await waitUntil('a change event for the start', () => summaries().some((s) => s.includes(`A drill is running (game day ${id})`)));
    expect(summaries().filter((s) => s.includes(id) || s.includes(experimentId)).join('\n')).not.toMatch(/latency|checkout/);
    // Nor do the details or links: no playbook name, no experiment id, no link to the facilitator's thread.
    const drillEvents = JSON.stringify(pd.changeEvents.filter((e) => JSON.stringify(e).includes(id)));
    expect(drillEvents).not.toMatch(/latency|checkout|links/);
    expect(drillEvents).not.toContain(experimentId);

    // Someone who is not a responder writes first; then dora, in the announcement's thread; then dora in the channel.
    h.api.say(ONCALL, MALLORY, 'lunch anyone?');
    await new Promise((r) => setTimeout(r, 20));
    h.api.say(ONCALL, DORA, 'checkout p99 looks off, looking', { threadTs: announcement.ts });
    await new Promise((r) => setTimeout(r, 20));
    h.api.say(ONCALL, DORA, 'one checkout replica is slow; paging the team');
    h.api.say(ONCALL, MALLORY, '+1');
    // Slack answers at most two messages a page here: the bot has to follow next_cursor.
    h.api.setPageCap(2);

    // Then the alert fires in PagerDuty and is acknowledged: the step aborts, as for any incident on a linked service.
    const createdAt = new Date().toISOString();
    for (const [type, eventId] of [['incident.triggered', 'EVDRILL1'], ['incident.acknowledged', 'EVDRILL2']] as const) {
      const body = incidentWebhook(type, { eventId, incidentId: 'PDRILL1', title: 'Checkout latency p99 above 250ms', createdAt });
      expect((await postWebhook(`${h.bot.url}/webhooks/pagerduty`, body, { 'x-pagerduty-signature': signPagerDuty(body, WEBHOOK_SECRET), 'x-webhook-id': `w-${eventId}` })).status).toBe(202);
    }
    await waitUntil('the drill to end', () => record(id).state === 'aborted', 15_000);
    await h.bot.app.engine.runner.settle();
    await days().settle();
    await h.bot.app.engine.notifier.flush();
    expect(await activeFaults(h.sandbox.adminUrl)).toEqual([]);
    expect(h.bot.app.engine.experiments.get(experimentId).record.abort?.code).toBe('incident');

    // The bot read #oncall back: history page after page, then the announcement's thread.
    const histories = h.api.callsTo('conversations.history', 'ok').filter((c) => c.params.channel === ONCALL);
    expect(histories.length).toBeGreaterThan(1);
    expect(histories.slice(1).every((c) => typeof c.params.cursor === 'string' && c.params.cursor !== '')).toBe(true);
    expect(h.api.callsTo('conversations.replies', 'ok').map((c) => c.params.ts)).toContain(announcement.ts);

    // The reveal: a second bot message in #oncall, naming the fault, dora as the first signal, the alerts.
    const bot = oncall();
    expect(bot).toHaveLength(2);
    const reveal = shown(bot[1]!);
    expect(reveal).toContain(`The drill is over: Checkout drill (slack-drill)`);
    expect(reveal).toMatch(/step 1: latency on .+ \(process\)/);
    expect(reveal).toContain(`First signal: <@${DORA}> in the responders' channel at T+`);
    expect(reveal).toContain('checkout p99 looks off, looking'); // the thread reply, not the later one in the channel
    expect(reveal).not.toContain('lunch anyone?');
    expect(reveal).toMatch(/Expected alert “Checkout latency”: fired at T\+/);
    expect(reveal).toMatch(/Expected alert “Checkout error budget”: did not fire/);
    expect(reveal).toMatch(/first responder message: \S+ \(<@U0DORA>\)/);

    // The facilitator's thread has the detection record.
    const thread = h.api.messagesIn(CHANNEL).filter((m) => m.thread_ts === cardTs).map(shown).join('\n');
    expect(thread).toContain('Drill revealed to the responders; detection record');
    expect(thread).toContain(`First signal: <@${DORA}> in the responders' channel`);

    const d = record(id).drill!.detection!;
    expect(d.firstSignal).toMatchObject({ kind: 'message', who: DORA, what: 'checkout p99 looks off, looking' });
    expect(d.messagesKnown).toBe(true);
    expect(d.expected.map((e) => e.firedAt !== null)).toEqual([true, false]);
    expect(d.incidents.map((i) => i.id)).toEqual(['PDRILL1']);

    const report = readFileSync(record(id).reportPath, 'utf8');
    expect(report).toContain('## Blinded drill: detection record');
    expect(report).toContain(`The responders (${DORA}) in ${ONCALL} were told only that a drill was running`);
    expect(report).toMatch(/Expected alert “Checkout latency”: fired at T\+/);
    h.api.setPageCap(1000);
  });

  it('without channels:history the reveal still comes and says the first responder message is unknown: the channel could not be read', async () => {
    const seen = oncall().length;
    h.api.revokeScope('channels:history');
    try {
      const { id } = await runningDrill('slack-drill-quiet');
      h.api.say(ONCALL, DORA, 'is something up with checkout?');
      await waitUntil('the drill to complete', () => record(id).state === 'completed', 30_000);
      await days().settle();
      await h.bot.app.engine.notifier.flush();

      expect(h.api.callsTo('conversations.history', 'error').at(-1)?.params.channel).toBe(ONCALL);
      const bot = oncall().slice(seen);
      expect(bot.map((m) => m.text?.split('\n')[0])).toEqual([expect.stringContaining('A drill is running'), expect.stringContaining('The drill is over: Checkout drill (slack-drill-quiet)')]);
      const reveal = shown(bot[1]!);
      expect(reveal).toMatch(/step 1: latency on .+ \(process\)/);
      expect(reveal).toMatch(/first responder message: unknown \(the channel could not be read: [^)]*missing_scope/);
      expect(reveal).toMatch(/Expected alert “Checkout latency”: did not fire/);
      const d = record(id).drill!.detection!;
      expect(d.messagesKnown).toBe(false);
      expect(d.firstSignal).toBeNull();
      expect(readFileSync(record(id).reportPath, 'utf8')).toMatch(/first responder message: unknown \(the channel could not be read/);
    } finally {
      h.api.revokeScope('channels:history', false);
    }
  });
});
