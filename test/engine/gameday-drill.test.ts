import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import type { IncidentInfo, IncidentLookup } from '../../src/core/ports.js';
import { messageText, RecordingChat } from '../fakes/recording-chat.js';
import { alice, bob, carol, engineFactory, waitFor, type Engine } from './engine-harness.js';

/** carol facilitates in #gameday; dora and ed respond in #oncall and are not told what runs. */
function drillYaml(o: { duration?: string; expected?: string[] } = {}): string {
  return `
kind: GameDay
name: web-drill
title: Web replicas slow down
channel: '#gameday'
roles: { commander: carol }
blinded: true
responders: { channel: '#oncall', people: [dora, ed] }
expectedAlerts: [${(o.expected ?? ['Web latency', 'Checkout errors']).map((a) => `'${a}'`).join(', ')}]
steps:
  - { playbook: web-latency, blastRadius: one, duration: ${o.duration ?? '150ms'} }
`;
}

/** Nothing open when the gate asks; the incidents of the drill arrive as webhooks (observe). */
const lookup: IncidentLookup = { openIncidents: async () => [] };
const engine = engineFactory({ incidents: { lookup, settings: { linkedServices: ['svc-web'], autoFreeze: false, freezeMaxMs: 0 } } });
const chaos = (e: Engine, line: string, actor = alice) => dispatch(line, { actor, channel: '#gameday', engine: e.engine.facade, log: e.log }, commandRegistry());
const gd = (e: Engine, id: string): GameDayRecord => e.engine.gamedays.get(id).record;
const inChannel = (e: Engine, channel: string) => e.chat.calls.filter((c) => c.outcome === 'ok' && c.channel === channel && c.op !== 'update').map((c) => messageText(c.msg));

const incident = (over: Partial<IncidentInfo>): IncidentInfo => ({
  id: 'PINC1',
  title: 'Web latency p99 above 800ms',
  status: 'triggered',
  urgency: 'high',
  url: 'https://acme.pagerduty.com/incidents/PINC1',
  serviceId: 'svc-web',
  createdAt: Date.now(),
  ...over,
});

async function runningDrill(e: Engine): Promise<string> {
  const { record } = await e.engine.gamedays.propose({ name: 'web-drill', actor: alice });
  await e.engine.gamedays.approve(record.id, bob);
  await chaos(e, `/chaos gameday continue ${record.id}`, carol);
  return record.id;
}

describe('blinded drills', () => {
  it("the responders' channel hears only that a drill runs; at the end the fault is revealed with who noticed first, from which signal, and the expected alerts", async () => {
    const e = engine({ chat: new RecordingChat({ history: true }), gamedays: [drillYaml({ duration: '10s' })] });
    const id = await runningDrill(e);
    const exp = () => e.service.list(10).find((x) => x.record.gameDay?.id === id)?.record;
    await waitFor('the fault to go in', () => (exp()?.injectedAt ?? null) !== null, 5000);
    const injectedAt = exp()!.injectedAt!;
    expect(exp()!.gameDay?.blinded).toBe(true);

    // A responder writes first; then the alert fires (which aborts the step, as any incident on a linked service does).
    e.chat.said.push({ channel: '#oncall', user: 'mallory', text: 'not a responder', at: injectedAt + 5 });
    e.chat.said.push({ channel: '#oncall', user: 'ed', text: 'web looks slow from here', at: injectedAt + 20 });
    await new Promise((r) => setTimeout(r, 40));
    e.engine.incidents.observe(incident({ createdAt: Date.now() }), 'webhook', 'incident.triggered');
    e.engine.incidents.observe(incident({ status: 'acknowledged', createdAt: Date.now() - 1, acknowledgedAt: Date.now() + 30 }), 'webhook', 'incident.acknowledged');
    await waitFor('the drill to end', () => gd(e, id).state === 'aborted', 5000);
    await e.engine.gamedays.settle();
    await e.engine.notifier.flush();

    const responders = inChannel(e, '#oncall');
    expect(responders).toHaveLength(2);
    expect(responders[0]).toMatch(/A drill is running/);
    // Before the reveal, nothing in the responders' channel names the fault, the targets or the playbook.
    expect(responders[0]).not.toMatch(/latency|web-\d|web-latency|exp-/);
    expect(responders[1]).toMatch(/The drill is over: Web replicas slow down/);
    expect(responders[1]).toMatch(/step 1: latency on web-\d \(memory\)/);
    expect(responders[1]).toMatch(/First signal: ed in the responders' channel at T\+/);
    expect(responders[1]).toMatch(/Expected alert “Web latency”: fired at T\+/);
    expect(responders[1]).toMatch(/Expected alert “Checkout errors”: did not fire/);
    // The facilitator's thread has everything, the detection record included.
    expect(inChannel(e, '#gameday').join('\n')).toMatch(/Drill revealed to the responders; detection record/);

    const d = gd(e, id).drill!.detection!;
    expect(d.firstSignal).toMatchObject({ kind: 'message', who: 'ed' });
    expect(d.firstResponder).toBe('ed');
    expect(d.timeToDetectMs).toBeGreaterThanOrEqual(20);
    expect(d.timeToAcknowledgeMs).not.toBeNull();
    expect(d.expected.map((x) => x.firedAt !== null)).toEqual([true, false]);
    const report = readFileSync(gd(e, id).reportPath, 'utf8');
    expect(report).toContain('## Blinded drill: detection record');
    expect(report).toMatch(/The responders \(dora, ed\) in #oncall were told only that a drill was running/);
    expect(report).toMatch(/Expected alert “Checkout errors”: did not fire/);
    await e.close();
  });

  it('a responder can neither approve the drill nor be handed its command: either would show what runs', async () => {
    const e = engine({ chat: new RecordingChat({ history: true }), gamedays: [drillYaml()], settings: { approval: { approvers: ['alice', 'bob', 'carol', 'ed'], ttlMs: 60_000 } } });
    const { record } = await e.engine.gamedays.propose({ name: 'web-drill', actor: alice });
    const ed = { id: 'ed', team: 'T1', name: 'Ed' };
    expect((await chaos(e, `/chaos gameday approve ${record.id}`, ed)).errorCode).toBe('gameday_role');
    expect(gd(e, record.id).state).toBe('proposed');
    await e.engine.gamedays.approve(record.id, bob);
    const handover = await chaos(e, `/chaos gameday handover ${record.id} dora`, carol);
    expect(handover.errorCode).toBe('gameday_role');
    expect(gd(e, record.id).roles.commander).toBe('carol');
    await e.close();
  });

  it('nobody noticing is a finding too; a chat that cannot read the channel back says so instead of guessing', async () => {
    const e = engine({ chat: new RecordingChat({ history: 'fail' }), gamedays: [drillYaml()] });
    const id = await runningDrill(e);
    await waitFor('the drill to complete', () => gd(e, id).state === 'completed', 5000);
    await e.engine.gamedays.settle();
    const d = gd(e, id).drill!.detection!;
    expect(d.firstSignal).toBeNull();
    expect(d.messagesKnown).toBe(false);
    expect(d.messagesNote).toMatch(/could not be read: missing_scope: channels:history/);
    const report = readFileSync(gd(e, id).reportPath, 'utf8');
    expect(report).toMatch(/Nobody noticed: no alert fired and no responder wrote in their channel/);
    expect(report).toMatch(/first responder message: unknown \(the channel could not be read/);
    await e.close();
  });
});
