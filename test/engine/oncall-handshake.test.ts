import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { plainMentions } from '../../src/core/mention.js';
import type { OnCallDirectory } from '../../src/core/ports.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { createBotMetrics } from '../../src/app/bot-metrics.js';
import { alice, bob, carol, engineFactory, sleep, waitFor, type Engine } from './engine-harness.js';

/** dora is on call for svc-web, ed for svc-db; both have chat accounts (UDORA, UED) by email. */
const dora: Actor = { id: 'UDORA', team: 'T1', name: 'Dora' };
const ed: Actor = { id: 'UED', team: 'T1', name: 'Ed' };
const ON_CALL = [
  { serviceId: 'svc-web', serviceName: 'Web', userId: 'PDORA', name: 'Dora', email: 'dora@example.com' },
  { serviceId: 'svc-db', serviceName: 'Database', userId: 'PED', name: 'Ed', email: 'ed@example.com' },
];

/** A directory that answers from a list (or fails, or is counted). */
function directory(people = ON_CALL, opts: { fail?: string } = {}): OnCallDirectory & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    async firstResponders(services) {
      asked.push([...services]);
      if (opts.fail) throw new Error(opts.fail);
      return people.filter((p) => services.includes(p.serviceId));
    },
  };
}

const peopleChat = () => new RecordingChat({ people: { 'dora@example.com': 'UDORA', 'ed@example.com': 'UED' }, directs: true });
/** The incident gate stays out of the way: these services have no incident source here. */
const engine = engineFactory({ incidents: { settings: { linkedServices: [], autoFreeze: false, freezeMaxMs: 0, gate: 'off' } } });
const chaos = (e: Engine, line: string, actor = alice) => dispatch(line, { actor, channel: '#chaos', engine: e.engine.facade, log: e.log }, commandRegistry());

/** web-latency with `onCall: require`, linked to the given services. */
function requireOnCall(e: Engine, services = ['svc-web'], timeout?: number): void {
  const p = e.playbooks.get('web-latency')!.playbook;
  p.onCall = 'require';
  p.pagerduty.services = services;
  if (timeout !== undefined) p.onCallTimeout = timeout;
}

const thread = (e: Engine) => plainMentions(e.chat.transcript());

describe('on-call handshake before a start (onCall: require)', () => {
  it('asks in the thread with a mention and a button and by DM; nothing goes in until the on-call acknowledges, then it starts', async () => {
    const dir = directory();
    const e = engine({ chat: peopleChat(), onCalls: dir });
    requireOnCall(e);
    const id = await e.proposeApproved();
    const reply = await chaos(e, `/chaos start ${id}`);
    expect(reply.errorCode).toBeUndefined();
    expect(reply.title).toBe(`${id} waits for the on-call`);
    expect(dir.asked).toEqual([['svc-web']]);
    await e.engine.notifier.flush();
    const ask = e.chat.calls.find((c) => c.op === 'reply' && c.msg.buttons.some((b) => b.actionId === 'oncallack'));
    expect(ask, 'the ask in the thread').toBeDefined();
    expect(ask!.msg.sections.join('\n')).toContain('\u{E000}u\u{E002}UDORA');
    expect(e.chat.directs.map((d) => d.user)).toContain('UDORA');
    expect(e.service.get(id).record.state).toBe('approved');
    expect(e.target.injectCalls).toHaveLength(0);

    // Somebody else's click is refused and changes nothing.
    expect((await chaos(e, `/chaos oncall ack ${id}`, bob)).errorCode).toBe('oncall_not_asked');
    // A second start while asking is refused too: the first one goes on when they acknowledge.
    expect((await chaos(e, `/chaos start ${id}`)).errorCode).toBe('oncall_pending');
    expect(e.service.get(id).record.state).toBe('approved');

    const ack = await chaos(e, `/chaos oncall ack ${id}`, dora);
    expect(ack.errorCode).toBeUndefined();
    await e.waitForState(id, 'completed', 5000);
    const kinds = e.kinds(id);
    expect(kinds.indexOf('oncall-asked')).toBeLessThan(kinds.indexOf('oncall-acknowledged'));
    expect(kinds.indexOf('oncall-acknowledged')).toBeLessThan(kinds.indexOf('inject-intent'));
    expect(e.service.get(id).record.startedBy?.id).toBe('alice');
    expect(thread(e)).toContain('On-call acknowledged by Dora');
    await e.close();
  });

  it('without an acknowledgement in time the start is refused with the reason, nothing is injected, and a new start asks again', async () => {
    const dir = directory();
    const e = engine({ chat: peopleChat(), onCalls: dir });
    requireOnCall(e, ['svc-web'], 150);
    const id = await e.proposeApproved();
    await chaos(e, `/chaos start ${id}`);
    await waitFor('the timeout', () => e.kinds(id).includes('oncall-unacknowledged'), 3000);
    await e.engine.notifier.flush();
    expect(thread(e)).toMatch(/start refused: the on-call did not acknowledge within 150ms: Web \(Dora\)/);
    expect(e.service.get(id).record.state).toBe('approved');
    expect(e.kinds(id)).not.toContain('inject-intent');
    expect((await chaos(e, `/chaos oncall ack ${id}`, dora)).errorCode).toBe('illegal_transition');
    await sleep(50);
    expect(e.service.get(id).record.state).toBe('approved');

    expect((await chaos(e, `/chaos start ${id}`)).title).toBe(`${id} waits for the on-call`);
    expect(dir.asked).toHaveLength(2);
    await e.close();
  });

  it('every linked service must be acknowledged: one acknowledgement leaves the start waiting for the other; /metrics counts the handshake', async () => {
    const metrics = createBotMetrics(() => ({}), () => ({}));
    const e = engine({ chat: peopleChat(), onCalls: directory(), metrics: metrics.engine });
    requireOnCall(e, ['svc-web', 'svc-db']);
    const id = await e.proposeApproved();
    await chaos(e, `/chaos start ${id}`);
    const first = await chaos(e, `/chaos oncall ack ${id}`, ed);
    expect(first.sections.join(' ')).toContain('Still waiting for svc-web');
    await sleep(50);
    expect(e.service.get(id).record.state).toBe('approved');
    await chaos(e, `/chaos oncall ack ${id}`, dora);
    await e.waitForState(id, 'completed', 5000);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/faultline_oncall_handshakes_total\{[^}]*outcome="acknowledged"[^}]*\} 1/);
    expect(text).toMatch(/faultline_oncall_handshake_seconds_count\{[^}]*outcome="acknowledged"[^}]*\} 1/);
    await e.close();
  });

  it('refuses at once, asking nobody, when the on-call cannot be asked: lookup failing, nobody on call, no chat account, no directory', async () => {
    const cases: Array<{ dir?: OnCallDirectory; chat?: RecordingChat; services?: string[]; match: RegExp }> = [
      { dir: directory(ON_CALL, { fail: 'PagerDuty answered 503' }), match: /could not be learned: PagerDuty answered 503/ },
      { dir: directory([]), match: /nobody is on call for service svc-web/ },
      { dir: directory(), chat: new RecordingChat({ people: {}, directs: true }), match: /has no chat account with that email/ },
      { match: /no on-call directory is configured: set PAGERDUTY_API_TOKEN/ },
      { dir: directory(), services: [], match: /links no PagerDuty service/ },
    ];
    for (const c of cases) {
      const e = engine({ chat: c.chat ?? peopleChat(), ...(c.dir ? { onCalls: c.dir } : {}) });
      requireOnCall(e, c.services ?? ['svc-web']);
      const id = await e.proposeApproved();
      const reply = await chaos(e, `/chaos start ${id}`);
      expect(reply.errorCode).toBe('oncall_unreachable');
      expect(reply.sections.join('\n')).toMatch(c.match);
      await e.engine.notifier.flush();
      expect(e.chat.calls.some((x) => x.msg.buttons.some((b) => b.actionId === 'oncallack'))).toBe(false);
      expect(e.chat.directs.filter((d) => d.user === 'UDORA')).toHaveLength(0);
      expect(e.service.get(id).record.state).toBe('approved');
      expect(e.kinds(id)).not.toContain('oncall-asked');
      await e.close();
    }
  });

  it('a cancel while asking withdraws the handshake: a late acknowledgement starts nothing', async () => {
    const e = engine({ chat: peopleChat(), onCalls: directory() });
    requireOnCall(e);
    const id = await e.proposeApproved();
    await chaos(e, `/chaos start ${id}`);
    await chaos(e, `/chaos cancel ${id} not today`, alice);
    expect(e.kinds(id)).toContain('oncall-withdrawn');
    expect((await chaos(e, `/chaos oncall ack ${id}`, dora)).errorCode).toBe('illegal_transition');
    await sleep(50);
    expect(e.service.get(id).record.state).toBe('cancelled');
    expect(e.kinds(id)).not.toContain('inject-intent');
    await e.close();
  });

  it('a crash while asking leaves nothing to start: after the restart the run is still approved, a late click says the ask ended', async () => {
    const first = engine({ chat: peopleChat(), onCalls: directory() });
    requireOnCall(first);
    const id = await first.proposeApproved();
    await chaos(first, `/chaos start ${id}`);
    expect(first.kinds(id)).toContain('oncall-asked');
    // The process dies: its store connection and its timers with it.
    first.engine.onCalls.stop();
    first.store.close();

    const second = engine({ dir: first.dir, target: first.target, chat: peopleChat(), onCalls: directory() });
    requireOnCall(second);
    await second.reconcile();
    expect(second.service.get(id).record.state).toBe('approved');
    const late = await chaos(second, `/chaos oncall ack ${id}`, dora);
    expect(late.errorCode).toBe('oncall_not_asked');
    expect(late.sections.join(' ') + (late.title ?? '')).toMatch(/an ask ends when the bot restarts/);
    await sleep(50);
    expect(second.target.injectCalls).toHaveLength(0);
    expect(second.service.get(id).record.state).toBe('approved');
    // Starting again asks again, in the new process.
    expect((await chaos(second, `/chaos start ${id}`)).title).toBe(`${id} waits for the on-call`);
    await second.close();
  });

  it('a playbook without onCall starts as before and asks nobody', async () => {
    const dir = directory();
    const e = engine({ chat: peopleChat(), onCalls: dir });
    const id = await e.launch();
    await e.waitForState(id, 'completed', 5000);
    expect(dir.asked).toHaveLength(0);
    await e.close();
  });
});

function gameDayYaml(o: { onCallTimeout?: string } = {}): string {
  return `
kind: GameDay
name: web-gameday
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol }
onCall: require
${o.onCallTimeout ? `onCallTimeout: ${o.onCallTimeout}\n` : ''}steps:
  - { playbook: web-latency, blastRadius: one, duration: 150ms }
  - { playbook: web-latency, blastRadius: 'count:2', duration: 150ms }
`;
}

const gd = (e: Engine, id: string): GameDayRecord => e.engine.gamedays.get(id).record;

async function approvedDay(e: Engine): Promise<string> {
  const p = e.playbooks.get('web-latency')!.playbook;
  p.pagerduty.services = ['svc-web'];
  const { record } = await e.engine.gamedays.propose({ name: 'web-gameday', actor: alice });
  await e.engine.gamedays.approve(record.id, bob);
  return record.id;
}

describe('on-call handshake of a game day', () => {
  it("asks once before the day's first injection; step 1 runs on the acknowledgement, step 2 asks nobody; the record keeps it", async () => {
    const dir = directory();
    const e = engine({ chat: peopleChat(), onCalls: dir, gamedays: [gameDayYaml()] });
    const id = await approvedDay(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitFor('the ask', () => gd(e, id).onCall.length === 1, 3000);
    expect(gd(e, id).steps[0]!.experimentId).toBeNull();
    expect(e.target.injectCalls).toHaveLength(0);
    expect(e.engine.gamedays.card(gd(e, id)).fields.find((f) => f.label === 'State')!.value).toMatch(/^waiting for the on-call to acknowledge before step 1 \(until /);
    await chaos(e, `/chaos oncall ack ${id}`, dora);
    await waitFor('step 1 at its checkpoint', () => gd(e, id).state === 'checkpoint', 5000);
    expect(gd(e, id).onCall[0]!.outcome).toBe('acknowledged');
    expect(gd(e, id).onCall[0]!.acks[0]!.by.id).toBe('UDORA');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitFor('the day to complete', () => gd(e, id).state === 'completed', 5000);
    expect(dir.asked).toHaveLength(1);
    await e.engine.gamedays.settle();
    const report = readFileSync(gd(e, id).reportPath, 'utf8');
    expect(report).toContain('## On-call handshake');
    expect(report).toMatch(/Asked at \S+ `T\+[^`]+` \(a start by Carol \(carol\)\): \*\*acknowledged\*\*/);
    expect(report).toMatch(/Web: Dora asked; acknowledged by Dora \(UDORA\) after \d/);
    expect(report).toMatch(/On-call asked to acknowledge within 10m \(a start by Carol \(carol\)\): Dora, for svc-web/);
    await e.close();
  });

  it('no acknowledgement in time: the day holds before step 1 with the reason, said once in its thread', async () => {
    const e = engine({ chat: peopleChat(), onCalls: directory(), gamedays: [gameDayYaml({ onCallTimeout: '150ms' })] });
    const id = await approvedDay(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitFor('the day to hold', () => gd(e, id).state === 'held', 3000);
    expect(gd(e, id).holdReason).toMatch(/the on-call did not acknowledge within 150ms/);
    expect(gd(e, id).steps[0]!.experimentId).toBeNull();
    expect(gd(e, id).onCall[0]!.outcome).toBe('unacknowledged');
    await e.engine.notifier.flush();
    expect(thread(e).match(/did not acknowledge within 150ms/g)).toHaveLength(1);
    await e.close();
  });

  it('an abort while asking withdraws it: the acknowledgement that comes later runs nothing', async () => {
    const e = engine({ chat: peopleChat(), onCalls: directory(), gamedays: [gameDayYaml()] });
    const id = await approvedDay(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitFor('the ask', () => gd(e, id).onCall.length === 1, 3000);
    await chaos(e, `/chaos gameday abort ${id} calling it off`, bob);
    expect((await chaos(e, `/chaos oncall ack ${id}`, dora)).errorCode).toBe('illegal_transition');
    await sleep(50);
    expect(gd(e, id).state).toBe('aborted');
    expect(e.service.list(50).filter((x) => x.record.gameDay?.id === id)).toHaveLength(0);
    await e.close();
  });
});
