import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IncidentInfo, IncidentLookup } from '../../src/core/ports.js';
import { alice, engineFactory } from './engine-harness.js';

const engine = engineFactory();

const incident = (over: Partial<IncidentInfo> = {}): IncidentInfo => ({
  id: 'PINC1',
  number: 42,
  title: 'Checkout 5xx above SLO',
  status: 'triggered',
  urgency: 'high',
  url: 'https://acme.pagerduty.com/incidents/PINC1',
  serviceId: 'PSVC1',
  createdAt: Date.now(),
  ...over,
});

/** An in-memory implementation of our own lookup port. */
class Lookup implements IncidentLookup {
  open: IncidentInfo[] = [];
  fail = false;
  calls: string[][] = [];
  async openIncidents(serviceIds: readonly string[]): Promise<IncidentInfo[]> {
    this.calls.push([...serviceIds]);
    if (this.fail) throw new Error('PagerDuty answered 503');
    return this.open.filter((i) => serviceIds.includes(i.serviceId));
  }
}

const settings = { linkedServices: ['PSVC1'], autoFreeze: true, freezeMaxMs: 60_000 };

describe('incidents and experiments (PagerDuty linked services)', () => {
  it('an open incident on a linked service blocks the start, naming the incident', async () => {
    const lookup = new Lookup();
    lookup.open = [incident({ status: 'acknowledged', urgency: 'low' })];
    const e = engine({ incidents: { lookup, settings } });
    const id = await e.proposeApproved();
    await expect(e.service.start(id, alice)).rejects.toMatchObject({ code: 'incident_open', message: expect.stringContaining('#42 "Checkout 5xx above SLO"') });
    expect(e.service.get(id).record.state).toBe('approved');
    expect(lookup.calls[0]).toEqual(['PSVC1']);
    expect(e.target.injectCalls).toHaveLength(0);
  });

  it('when PagerDuty cannot be asked, nothing starts (unknown is unhealthy), and it is not reported as an open incident', async () => {
    const lookup = new Lookup();
    lookup.fail = true;
    const e = engine({ incidents: { lookup, settings } });
    const id = await e.proposeApproved();
    await expect(e.service.start(id, alice)).rejects.toMatchObject({ code: 'incident_lookup_failed', message: expect.stringContaining('503') });
    expect(e.service.get(id).record.state).toBe('approved');
  });

  it('a high-urgency incident freezes the service until it resolves', async () => {
    const e = engine({ incidents: { lookup: new Lookup(), settings } });
    const id = await e.proposeApproved();
    e.engine.incidents.observe(incident(), 'webhook', 'incident.triggered');
    await expect(e.service.start(id, alice)).rejects.toMatchObject({ code: 'frozen' });
    e.engine.incidents.observe(incident({ status: 'resolved' }), 'webhook', 'incident.resolved');
    await e.service.start(id, alice);
    await e.waitForPhase(id, 'observing');
  });

  it('an incident opening on a linked service during a run aborts it and is journaled; one elsewhere does not', async () => {
    const e = engine({ incidents: { lookup: new Lookup(), settings: { ...settings, autoFreeze: false } }, playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.engine.incidents.observe(incident({ serviceId: 'POTHER' }), 'webhook', 'incident.triggered');
    expect(e.service.get(id).record.phase).toBe('observing');
    e.engine.incidents.observe(incident(), 'webhook', 'incident.triggered');
    // The abort is decided on the webhook itself, before anything else is awaited.
    expect(e.service.get(id).record.phase).toBe('reverting');
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('incident');
    expect(r.abort?.reason).toContain('https://acme.pagerduty.com/incidents/PINC1');
    expect(e.target.faults.size).toBe(0);
    const seen = e.journal(id).filter((j) => j.kind === 'incident');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.data).toMatchObject({ id: 'PINC1', source: 'webhook', eventType: 'incident.triggered' });
    // The detection record lands in the post-mortem's "Were alerts accurate?" section.
    const draft = readFileSync(e.journal(id).find((j) => j.kind === 'postmortem')!.data.path as string, 'utf8');
    const alerts = draft.slice(draft.indexOf('## Were alerts accurate?'));
    expect(alerts).toContain('[Checkout 5xx above SLO](https://acme.pagerduty.com/incidents/PINC1)');
    expect(alerts).toMatch(/\| `PSVC1` \| high \| T[+-]\d\d:\d\d \| not acknowledged \| triggered \|/);
  });
});
