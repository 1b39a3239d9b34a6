import { describe, expect, it } from 'vitest';
import { experimentCard } from '../../src/core/experiment-card.js';
import type { GuardrailResult } from '../../src/core/guardrails.js';
import type { Message } from '../../src/core/message.js';
import { bob, makePlan, makeRecord, MIN, T0 } from './fixtures.js';

const plan = makePlan({
  adapter: 'process',
  selector: { service: 'checkout' },
  candidates: 3,
  targets: ['checkout-1', 'checkout-2'].map((id) => ({ id, name: id, kind: 'replica', attributes: { service: 'checkout' } })),
  fault: { type: 'http-error', parameters: { status: 503, percent: 60 } },
  durationMs: 30_000,
  guardrails: [
    { name: 'checkout p99 latency', signal: 'http://127.0.0.1:9999/stats → p99Ms', comparison: '>', threshold: 800, forMs: 10_000, maxUnknown: 3 },
    { name: 'checkout up', signal: 'http://127.0.0.1:9999/stats → up', comparison: '<', threshold: 1, forMs: 0, maxUnknown: 3 },
  ],
  steadyState: [{ name: 'error rate', signal: 'http://127.0.0.1:9999/stats → errorRate', comparison: '<=', threshold: 0.02 }],
});
const opts = { hypothesis: 'If replicas fail, checkout stays up', approvers: [], now: T0 };
const field = (m: Message, label: string) => m.fields.find((f) => f.label === label)?.value;
const text = (m: Message) => [...m.fields.map((f) => `${f.label}: ${f.value}`), ...m.sections].join('\n');

describe('the experiment card in words', () => {
  it('the fault is one sentence, the target and guardrails are words, no JSON and no signal URL', () => {
    const card = experimentCard(makeRecord('proposed', null, { plan }), opts);
    expect(field(card, 'Fault')).toBe('60 % of requests answer 503 on 2 of 3 checkout replicas for 30 s');
    expect(field(card, 'Target')).toBe('replicas with service=checkout · process · blast radius one');
    const guardrails = card.sections.find((s) => s.startsWith('Guardrails:'));
    expect(guardrails).toBe('Guardrails:\n• checkout p99 latency: aborts if above 800 for 10 s\n• checkout up: aborts if below 1');
    expect(card.sections).toContain('Steady state (before and after):\n• error rate: must be at most 0.02');
    expect(text(card)).not.toMatch(/[{}]|http:\/\//);
  });

  it('the title is the playbook title when given, else its name; the id stays in front', () => {
    expect(experimentCard(makeRecord('proposed', null, { plan }), { ...opts, title: 'Checkout survives failing replicas' }).title).toBe('exp-1 · Checkout survives failing replicas');
    expect(experimentCard(makeRecord('proposed', null, { plan }), opts).title).toBe('exp-1 · checkout-latency');
    expect(experimentCard(makeRecord('proposed', null, { plan }), { ...opts, title: '  ' }).title).toBe('exp-1 · checkout-latency');
  });

  it('the live status follows each guardrail while it runs, with the time elapsed and left', () => {
    const running = makeRecord('running', 'observing', { plan, injectedAt: T0, endsAt: T0 + 30_000 });
    const live = [{ name: 'checkout p99 latency', status: 'ok', detail: '412' } as GuardrailResult];
    const card = experimentCard(running, { ...opts, now: T0 + 10_000, guardrails: live });
    expect(field(card, 'Time')).toBe('10 s elapsed, 20 s left');
    expect(card.sections.find((s) => s.startsWith('Guardrails:'))).toContain('• checkout p99 latency: aborts if above 800 for 10 s → ok: 412');
    expect(card.buttons.map((b) => b.actionId)).toEqual(['abort']);
  });

  it('once ended, Time says how long it ran from injection to the end (not "elapsed, left")', () => {
    const aborted = makeRecord('aborted', null, { plan, injectedAt: T0, endsAt: T0 + 30_000, endedAt: T0 + 10_000, abort: { by: bob, at: T0 + 10_000, reason: 'p99 too high', code: 'guardrail_breach' } });
    expect(field(experimentCard(aborted, { ...opts, now: T0 + 5 * MIN }), 'Time')).toBe('ended after 10 s');
    const completed = makeRecord('completed', null, { plan, injectedAt: T0, endsAt: T0 + 30_000, endedAt: T0 + 45_000 });
    expect(field(experimentCard(completed, { ...opts, now: T0 + 5 * MIN }), 'Time')).toBe('ended after 45 s');
    // Never injected (rejected, cancelled, or failed before the fault went in): no Time at all.
    expect(field(experimentCard(makeRecord('rejected', null, { plan }), { ...opts, now: T0 + 5 * MIN }), 'Time')).toBeUndefined();
  });

  it('keeps the field labels and buttons the chat adapters look up', () => {
    const card = experimentCard(makeRecord('proposed', null, { plan }), opts);
    expect(card.fields.map((f) => f.label).slice(0, 6)).toEqual(['State', 'Target', 'Will hit', 'Fault', 'Proposed by', 'Plan']);
    expect(card.buttons.map((b) => b.actionId)).toEqual(['approve', 'reject']);
  });
});
