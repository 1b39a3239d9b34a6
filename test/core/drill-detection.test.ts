import { describe, expect, it } from 'vitest';
import { annotationsFor } from '../../src/adapters/annotations/grafana/annotation-plan.js';
import { detectionLines, detectionRecord, type DrillIncident } from '../../src/core/drill-detection.js';
import { makeRecord } from './fixtures.js';

const T = 1_700_000_000_000;
const alert = (over: Partial<DrillIncident> = {}): DrillIncident => ({ id: 'P1', title: 'Web latency p99 above 800ms', serviceId: 'svc-web', createdAt: T + 90_000, acknowledgedAt: T + 150_000, ...over });

describe('a blinded drill detection record', () => {
  it('counts only what happened between the first injection and the end, and only the named responders', () => {
    const d = detectionRecord({
      injectedAt: T,
      endedAt: T + 600_000,
      incidents: [alert({ id: 'P0', title: 'Web latency before the drill', createdAt: T - 1 }), alert(), alert({ id: 'P2', title: 'Disk full', createdAt: T + 200_000, acknowledgedAt: null })],
      messages: [
        { user: 'ed', text: 'too early', at: T - 5 },
        { user: 'mallory', text: 'not a responder', at: T + 10_000 },
        { user: 'dora', text: 'latency on web?', at: T + 120_000 },
      ],
      responders: ['dora', 'ed'],
      expectedAlerts: ['web latency', 'Checkout errors'],
    });
    expect(d.firstSignal).toEqual({ kind: 'alert', at: T + 90_000, who: null, what: 'Web latency p99 above 800ms (svc-web)' });
    expect(d.timeToDetectMs).toBe(90_000);
    expect(d.timeToAcknowledgeMs).toBe(150_000);
    expect(d.firstResponseMs).toBe(120_000);
    expect(d.firstResponder).toBe('dora');
    expect(d.expected).toEqual([
      { alert: 'web latency', firedAt: T + 90_000, incident: 'Web latency p99 above 800ms' },
      { alert: 'Checkout errors', firedAt: null, incident: null },
    ]);
    expect(d.unexpected).toEqual(['Disk full']);
    const lines = detectionLines(d, (u) => u.toUpperCase());
    expect(lines[0]).toBe('First signal: alert “Web latency p99 above 800ms (svc-web)” at T+1m30s');
    expect(lines[1]).toBe('Time to detect: 1m30s · to acknowledge (PagerDuty): 2m30s · first responder message: 2m (DORA)');
    expect(lines).toContain('Also fired, not expected: “Disk full”');
  });

  it('any person counts when no responder is named; no injection means nothing to detect', () => {
    const d = detectionRecord({ injectedAt: T, endedAt: T + 60_000, incidents: [], messages: [{ user: 'zoe', text: 'hm?', at: T + 30_000 }], responders: [], expectedAlerts: [] });
    expect(d.firstSignal).toMatchObject({ kind: 'message', who: 'zoe' });
    expect(d.timeToAcknowledgeMs).toBeNull();
    const none = detectionRecord({ injectedAt: null, endedAt: T, incidents: [alert()], messages: [], responders: [], expectedAlerts: ['x'] });
    expect(none.firstSignal).toBeNull();
    expect(detectionLines(none, (u) => u)).toEqual(['No fault went in: there was nothing to detect.']);
  });
});

describe("a blinded drill's steps on the dashboards", () => {
  it('Grafana annotations name neither the fault, the targets nor the playbook', () => {
    const before = makeRecord('approved');
    const after = { ...makeRecord('running'), startedAt: T, gameDay: { id: 'gd-abc123', step: 0, blinded: true } };
    const steps = annotationsFor(before, after);
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(s.tags).toContain('drill');
      expect(s.tags).not.toContain(after.plan.fault.type);
      expect(s.text).not.toContain(after.plan.fault.type);
      expect(s.text).not.toContain(after.name);
      for (const t of after.plan.targets) expect(s.text).not.toContain(t.name);
    }
  });
});
