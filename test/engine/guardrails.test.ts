import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HANG, THROW, UNKNOWN, type Step } from '../fakes/scripted-signal.js';
import { engineFactory, type Engine } from './engine-harness.js';

const engine = engineFactory();

const readings = (e: Engine, id: string) => e.journal(id).filter((j) => j.kind === 'reading');
const firstBad = (e: Engine, id: string) => readings(e, id).find((j) => (j.data.results as Array<{ status: string }>)[0]!.status !== 'ok');

describe('unknown is unhealthy (invariant 3)', () => {
  it.each<[string, Step]>([
    ['throws', THROW('ECONNREFUSED 127.0.0.1:9090')],
    ['hangs past the timeout', HANG],
    ['returns unknown', UNKNOWN('query returned no series')],
  ])('a guardrail signal that %s aborts as guardrail_blind after maxUnknown rounds, verdict inconclusive', async (_how, step) => {
    const e = engine({ playbooks: [{ duration: '4s', maxUnknown: 3 }] });
    e.signal.set('errors', step, [0]); // the pre-flight sample sees it; then it goes bad
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_blind');
    expect(r.abort?.by.id).toBe('faultline');
    expect(r.verdict).toBe('inconclusive');
    expect(r.abort!.at).toBeLessThan(r.endsAt!); // blind, not the duration, ended it
    expect(readings(e, id)).toHaveLength(3);
    const breach = e.journal(id).find((j) => j.kind === 'breach')!;
    expect(breach.data).toMatchObject({ guardrail: 'error rate', status: 'blind' });
    expect(String(breach.data.detail)).toContain('unknown (3/3,');
    expect(e.target.faults.size).toBe(0);
    expect(e.kinds(id)).toContain('reverted');
    expect(existsSync(e.journal(id).find((j) => j.kind === 'postmortem')!.data.path as string)).toBe(true);
  });

  it('one ok reading between unknowns resets the streak: never blind, the run completes', async () => {
    const e = engine({ playbooks: [{ duration: '400ms', maxUnknown: 3 }] });
    e.signal.set('errors', (n) => (n % 3 === 0 ? 0 : UNKNOWN())); // n = 0 is the pre-flight
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('completed');
    expect(r.verdict).toBe('held');
    expect(r.abort).toBeNull();
    expect(e.kinds(id)).not.toContain('breach');
    const streaks = readings(e, id).map((j) => (j.data.results as Array<{ detail: string }>)[0]!.detail);
    expect(streaks.length).toBeGreaterThan(5);
    expect(streaks.some((d) => d.startsWith('unknown (2/3,'))).toBe(true);
    expect(streaks.some((d) => d.startsWith('unknown (3/3,'))).toBe(false);
  });
});

describe('the guardrail `for` window', () => {
  it('a spike shorter than the window does not abort', async () => {
    const e = engine({ playbooks: [{ duration: '600ms', for: '250ms' }] });
    e.signal.set('errors', (n) => (n >= 3 && n <= 4 ? 0.5 : 0.01));
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(firstBad(e, id)).toBeDefined(); // the spike was seen (status pending) …
    expect(r.state).toBe('completed'); // … and did not abort
    expect(r.verdict).toBe('held');
    expect(e.kinds(id)).not.toContain('breach');
  });

  it('a sustained breach longer than the window aborts with guardrail_breach, verdict refuted', async () => {
    const e = engine({ playbooks: [{ duration: '3s', for: '250ms' }] });
    e.signal.set('errors', (n) => (n >= 3 ? 0.5 : 0.01));
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(r.verdict).toBe('refuted');
    const breach = e.journal(id).find((j) => j.kind === 'breach')!;
    expect(breach.data.status).toBe('breach');
    // Time from the first breaching sample: the breach is the first round sampled 250 ms or more after it.
    const sampledAt = readings(e, id).map((j) => j.data.sampledAt as number);
    const first = firstBad(e, id)!.data.sampledAt as number;
    expect(sampledAt.at(-1)! - first).toBeGreaterThanOrEqual(250);
    expect(sampledAt.at(-2)! - first).toBeLessThan(250);
    expect(String(breach.data.detail)).toMatch(/^0\.5 > 0\.05 for \d+(\.\d+)?s of 0\.25s$/);
    expect(e.target.faults.size).toBe(0);
    expect(e.chat.transcript()).toContain('guardrail breached: error rate');
  });
});

describe('steady state before injection', () => {
  it('a failing pre-check aborts with steady_state_failed and nothing is ever injected', async () => {
    const e = engine();
    e.signal.set('success', 0.5);
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('steady_state_failed');
    expect(r.verdict).toBe('inconclusive');
    expect(r.injectedAt).toBeNull();
    expect(e.target.injectCalls).toHaveLength(0);
    expect(e.target.listOwnedCalls).toBe(0);
    expect(e.kinds(id)).not.toContain('inject-intent');
    expect(e.kinds(id)).toContain('precheck');
    expect(e.chat.transcript()).toContain('Nothing was injected');
  });

  it('an unknown pre-check reading counts as failing too', async () => {
    const e = engine();
    e.signal.set('success', THROW('timeout'));
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.abort?.code).toBe('steady_state_failed');
    expect(e.target.injectCalls).toHaveLength(0);
  });
});
