import { describe, expect, it } from 'vitest';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { Reading, SampleContext } from '../../src/core/ports.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { HANG, ScriptedSignal, THROW, UNKNOWN } from '../fakes/scripted-signal.js';
import { engineFactory, HEALTHY, parsePlaybook, waitFor, type Engine } from './engine-harness.js';

const engine = engineFactory();

/** A playbook with no steady-state checks, only the guardrail (and `extra` lines under it). */
function guardrailOnly(e: Engine, name: string, extra = ''): string {
  const yaml = `
kind: Experiment
name: ${name}
hypothesis: If some web replicas slow down, the error rate stays under 5 %
owner: team-web
target: { adapter: memory, selector: { service: web }, blastRadius: one }
fault: { type: latency, parameters: { ms: 250 }, duration: 400ms }
guardrails:
  - name: error rate
    signal: { source: scripted, key: errors }
    comparison: '>'
    threshold: 0.05
${extra}`;
  e.playbooks.set(name, { file: `${name}.yaml`, playbook: parsePlaybook(yaml, e.target, e.signal) });
  return name;
}

const preflightOf = (e: Engine, id: string) => e.journal(id).find((j) => j.kind === 'preflight')!;

describe('pre-flight: every guardrail is sampled once before the fault goes in', () => {
  it.each([
    ['reads unknown', UNKNOWN('no data: the query returned an empty result'), 'unknown: no data: the query returned an empty result'],
    ['throws', THROW('ECONNREFUSED 127.0.0.1:9090'), 'unknown: ECONNREFUSED 127.0.0.1:9090'],
    ['hangs past the signal timeout', HANG, 'unknown: scripted:errors gave no answer within 100 ms'],
    ['already breaks', 0.5, '0.5 > 0.05: already breaking before anything was injected'],
  ])('a guardrail that %s refuses the start: preflight_failed, nothing injected, named in the thread and the journal', async (_how, step, detail) => {
    const e = engine();
    e.signal.set('errors', step);
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.code).toBe('preflight_failed');
    expect(r.abort?.reason).toBe(`pre-flight failed: guardrail "error rate" ${detail}`);
    expect(r.verdict).toBe('inconclusive');
    expect(r.injectedAt).toBeNull();
    expect(e.target.injectCalls).toHaveLength(0);
    expect(e.kinds(id)).not.toContain('inject-intent');
    expect(preflightOf(e, id).data.guardrails).toEqual([expect.objectContaining({ name: 'error rate', passed: false, detail })]);
    const thread = e.chat.transcript();
    expect(thread).toContain(`✗ error rate: ${detail}`);
    expect(thread).toContain(`not started: pre-flight failed: guardrail "error rate" ${detail}. Nothing was injected.`);
  });

  it('a healthy guardrail and steady state let the fault in; the pre-flight is journaled before the intent', async () => {
    const e = engine();
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('completed');
    const kinds = e.kinds(id);
    expect(kinds.indexOf('preflight')).toBeGreaterThan(-1);
    expect(kinds.indexOf('preflight')).toBeLessThan(kinds.indexOf('inject-intent'));
    expect(preflightOf(e, id).data.guardrails).toEqual([{ name: 'error rate', passed: true, detail: '0 (abort when > 0.05)', value: 0 }]);
    expect(e.chat.transcript()).toContain('pre-flight, before anything is injected:\nGuardrails:\n✓ error rate: 0 (abort when > 0.05)\nSteady state before:\n✓ success rate');
  });

  it('a playbook without steady-state checks still has its guardrails sampled before injection', async () => {
    const e = engine();
    const name = guardrailOnly(e, 'no-steady-state');
    e.signal.set('errors', UNKNOWN('query returned no series'));
    const refused = await e.launch(name);
    await e.engine.runner.settle();
    expect(e.service.get(refused).record.abort?.code).toBe('preflight_failed');
    expect(e.target.injectCalls).toHaveLength(0);

    e.signal.set('errors', 0);
    const ran = await e.launch(name);
    await e.engine.runner.settle();
    expect(e.service.get(ran).record.state).toBe('completed');
    const first = e.signal.samples.find((s) => s.key === 'errors' && s.at >= e.service.get(ran).record.startedAt!)!;
    expect(first.at).toBeLessThanOrEqual(e.service.get(ran).record.injectedAt!);
    expect(e.kinds(ran).indexOf('preflight')).toBeLessThan(e.kinds(ran).indexOf('inject-intent'));
  });

  it('a failing steady state alone still reads steady_state_failed', async () => {
    const e = engine();
    e.signal.set('success', 0.5);
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.abort?.code).toBe('steady_state_failed');
    expect(preflightOf(e, id).data.guardrails).toEqual([expect.objectContaining({ passed: true })]);
  });
});

describe('blind after a time', () => {
  it('a guardrail with blindAfter goes blind on the first unknown that outlasts it, long before maxUnknown', async () => {
    const e = engine();
    const name = guardrailOnly(e, 'blind-after', '    maxUnknown: 100\n    blindAfter: 50ms\n');
    e.signal.set('errors', HANG, [0]);
    const id = await e.launch(name);
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.abort?.code).toBe('guardrail_blind');
    expect(r.plan.guardrails[0]).toMatchObject({ maxUnknown: 100, blindAfterMs: 50 });
    // Each hung sample ends at the engine's deadline (100 ms + 250 ms), past blindAfter: blind at the first.
    expect(r.abort?.reason).toMatch(/^guardrail blind: error rate \(unknown \(1\/100, [\d.]+s of 0\.05s\): scripted:errors gave no answer within 100 ms\)$/);
    expect(e.target.faults.size).toBe(0);
  });

  it('the engine default applies when the playbook names none', async () => {
    const e = engine({ settings: { blindAfterMs: 4321 } });
    const id = await e.proposeApproved();
    expect(e.service.get(id).record.plan.guardrails[0]!.blindAfterMs).toBe(4321);
  });
});

describe('a guardrail that breaks does not wait for a slower one', () => {
  it('a breach aborts while another guardrail\'s sample still hangs: that round holds only the answer that came', async () => {
    const e = engine({ settings: { signalTimeoutMs: 5000 } });
    const name = guardrailOnly(e, 'two-guardrails', "  - name: p99 latency\n    signal: { source: scripted, key: p99 }\n    comparison: '>'\n    threshold: 500\n");
    e.signal.set('p99', HANG, [120]); // answers the pre-flight, then hangs
    e.signal.set('errors', 0.5, [0]);
    const id = await e.launch(name);
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.abort?.code).toBe('guardrail_breach');
    expect(r.abort?.reason).toBe('guardrail breached: error rate (0.5 > 0.05 for 0s of 0s)');
    const rounds = e.journal(id).filter((j) => j.kind === 'reading');
    expect(rounds).toHaveLength(1);
    expect((rounds[0]!.data.results as Array<{ name: string }>).map((x) => x.name)).toEqual(['error rate']);
    expect(e.target.faults.size).toBe(0);
  });
});

/** A scripted signal whose `errors` samples wait until the test answers them. */
class GatedSignal extends ScriptedSignal {
  readonly gates: Array<{ at: number; answer: (value: number) => void }> = [];
  override sample(query: SignalQuery, ctx: SampleContext): Promise<Reading> {
    if ((query as { key?: string }).key !== 'errors') return super.sample(query, ctx);
    return new Promise((resolve) => this.gates.push({ at: ctx.now(), answer: (value) => resolve({ status: 'ok', value, at: ctx.now() }) }));
  }
}

describe('guardrail rounds at a fixed rate (causal: the test moves the clock)', () => {
  const INTERVAL = 30_000;
  const settings = {
    guardrailIntervalMs: INTERVAL,
    signalTimeoutMs: 600_000,
    caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 3, maxDurationMs: 3_600_000 },
  };
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a round slower than the interval is followed at once, never overlapped; a slow sample does not push the schedule', async () => {
    const clock = new ShiftedClock();
    const signal = new GatedSignal(HEALTHY);
    const e = engine({ clock, signal, settings, playbooks: [{ duration: '10m' }] });
    const id = await e.launch();
    await waitFor('the pre-flight sample', () => signal.gates.length === 1);
    signal.gates[0]!.answer(0);
    await waitFor('round 1', () => signal.gates.length === 2);
    expect(e.service.get(id).record.phase).toBe('observing');

    // Round 1 takes 1.5 intervals. The next is due meanwhile, but is not started beside it.
    clock.advance(INTERVAL * 1.5);
    await pause(300);
    expect(signal.gates).toHaveLength(2);
    signal.gates[1]!.answer(0);
    await waitFor('round 2 to start as soon as round 1 ended', () => signal.gates.length === 3);
    expect(signal.gates[2]!.at - signal.gates[1]!.at).toBeGreaterThanOrEqual(INTERVAL * 1.5);
    expect(signal.gates[2]!.at - signal.gates[1]!.at).toBeLessThan(INTERVAL * 2.5); // not late by a whole interval

    // Round 2 takes 2/3 of an interval: round 3 is still due one interval after round 2 started.
    clock.advance((INTERVAL * 2) / 3);
    signal.gates[2]!.answer(0);
    await pause(300);
    expect(signal.gates).toHaveLength(3); // not due yet
    clock.advance(INTERVAL / 3);
    await waitFor('round 3, one interval after round 2 started', () => signal.gates.length === 4);
    expect(signal.gates[3]!.at - signal.gates[2]!.at).toBeGreaterThanOrEqual(INTERVAL);
    expect(signal.gates[3]!.at - signal.gates[2]!.at).toBeLessThan(INTERVAL + (INTERVAL * 2) / 3); // not interval + the slow sample

    e.service.abort(id, { id: 'carol', team: 'T1', name: 'Carol' }, 'test done');
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('aborted');
    expect(e.target.faults.size).toBe(0);
  });

  it('the for window is the time between samples: for 45s is met by the second breaching round 60 s later, and says so', async () => {
    const clock = new ShiftedClock();
    const signal = new GatedSignal(HEALTHY);
    const e = engine({ clock, signal, settings, playbooks: [{ duration: '10m', for: '45s' }] });
    const id = await e.launch();
    await waitFor('the pre-flight sample', () => signal.gates.length === 1);
    signal.gates[0]!.answer(0);
    await waitFor('round 1', () => signal.gates.length === 2);
    signal.gates[1]!.answer(0.5);
    await waitFor('the pending reading', () => e.kinds(id).includes('reading'));
    expect(e.service.get(id).record.phase).toBe('observing');
    clock.advance(INTERVAL);
    await waitFor('round 2', () => signal.gates.length === 3);
    signal.gates[2]!.answer(0.5);
    await waitFor('round 2 judged', () => e.kinds(id).filter((k) => k === 'reading').length === 2);
    expect(e.service.get(id).record.phase).toBe('observing'); // 30 s of 45 s
    clock.advance(INTERVAL);
    await waitFor('round 3', () => signal.gates.length === 4);
    signal.gates[3]!.answer(0.5);
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.abort?.code).toBe('guardrail_breach');
    const held = (signal.gates[3]!.at - signal.gates[1]!.at) / 1000;
    expect(held).toBeGreaterThanOrEqual(60);
    expect(r.abort?.reason).toBe(`guardrail breached: error rate (0.5 > 0.05 for ${Math.floor(held * 10) / 10}s of 45s)`);
  });
});
