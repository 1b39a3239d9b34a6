import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SYSTEM, type Actor } from '../../src/core/actor.js';
import type { ExperimentRecord } from '../../src/core/experiment.js';
import { transition, type LifecycleEvent } from '../../src/core/lifecycle.js';
import { Experiment, type ExperimentInput } from '../../src/core/playbook.js';
import { buildPostmortemView, renderPostmortem, type PostmortemEvent, type PostmortemInput } from '../../src/reports/postmortem/postmortem.js';
import { alice, authority, bob, makePlan, makeRecord, openLimits, policy, target, T0 } from '../core/fixtures.js';

const TEMPLATE_PATH = fileURLToPath(new URL('../../templates/postmortem.md.hbs', import.meta.url));
const S = 1000;

const playbook = (over: Partial<ExperimentInput> = {}) =>
  Experiment.parse({
    kind: 'Experiment',
    name: 'checkout-kill',
    title: 'Kill checkout replicas',
    hypothesis: 'If two checkout replicas die, the error rate stays under 5% and p99 under 300ms',
    owner: 'team-checkout',
    target: { adapter: 'process', selector: { app: 'checkout' }, blastRadius: 'count:2' },
    fault: { type: 'kill', parameters: { signal: 'SIGTERM' }, duration: '5m' },
    steadyState: [{ name: 'p99', signal: { source: 'http' }, comparison: '<', threshold: 300 }],
    guardrails: [
      { name: 'error-rate', signal: { source: 'http' }, comparison: '>', threshold: 0.05, for: '30s' },
      { name: 'latency', signal: { source: 'http' }, comparison: '>', threshold: 800 },
    ],
    pagerduty: { services: ['PCHECKOUT'] },
    expectAlerts: ['CheckoutErrorRateHigh'],
    rollback: 'faultline-replica restart checkout',
    ...over,
  } satisfies ExperimentInput);

const phaseOf = (r: ExperimentRecord) => (r.phase ? `${r.state}/${r.phase}` : r.state);

/** Drives a record through the real state machine and journals what the engine journals. */
class Journal {
  readonly events: PostmortemEvent[] = [];
  record: ExperimentRecord;
  constructor(record: ExperimentRecord) {
    this.record = record;
  }
  log(at: number, actor: string, kind: string, data: Record<string, unknown>): this {
    this.events.push({ seq: this.events.length + 1, at, actor, kind, experimentId: this.record.id, data });
    return this;
  }
  apply(at: number, event: LifecycleEvent, actor: Actor = SYSTEM): this {
    const from = phaseOf(this.record);
    this.record = transition(this.record, event, at).state;
    const reason = 'reason' in event ? { reason: event.reason } : {};
    return this.log(at, actor.id, 'transition', { event: event.type, from, to: phaseOf(this.record), ...reason });
  }
  reading(at: number, errorRate: number | null, latency: number, status = 'ok'): this {
    const err = errorRate === null ? { status: 'pending', detail: 'unknown (1/3): timeout' } : { status, value: errorRate, detail: `${errorRate}` };
    return this.log(at, SYSTEM.id, 'reading', { results: [{ name: 'error-rate', ...err }, { name: 'latency', status: 'ok', value: latency, detail: `${latency}` }] });
  }
}

const P = T0;
const I = T0 + 2 * 60 * S + 7 * S; // injection 10:02:07

/** Proposed, refused self-approval, approved, started, pre-checked, injected. */
function injectedRun(): Journal {
  const plan = makePlan({
    experiment: 'checkout-kill',
    blastRadius: 'count:2',
    candidates: 4,
    targets: [target('checkout-2', { namespace: 'shop' }), target('checkout-3', { namespace: 'shop' })],
    guardrails: [
      { name: 'error-rate', signal: 'http', comparison: '>', threshold: 0.05, forMs: 30 * S, maxUnknown: 3 },
      { name: 'latency', signal: 'http', comparison: '>', threshold: 800, forMs: 0, maxUnknown: 3 },
    ],
  });
  const j = new Journal(makeRecord('proposed', null, { id: 'exp-42', plan, proposedAt: P }));
  j.log(P, alice.id, 'proposed', { planHash: j.record.planHash, seed: 42, candidates: 4, targets: plan.targets.map((t) => ({ id: t.id, name: t.name })) });
  j.log(P + 20 * S, alice.id, 'refused', { command: 'approve', code: 'approval_self', message: 'U_ALICE proposed exp-42 and cannot approve it' });
  j.apply(P + 60 * S, { type: 'approve', actor: bob, currentPlanHash: j.record.planHash, policy }, bob);
  j.apply(P + 120 * S, { type: 'start', actor: alice, currentPlanHash: j.record.planHash, limits: openLimits, targetIds: ['checkout-2', 'checkout-3'], authority }, alice);
  j.log(P + 125 * S, SYSTEM.id, 'precheck', { results: [{ name: 'p99', passed: true, detail: '120 meets < 300', value: 120 }] });
  j.apply(P + 125 * S, { type: 'precheck-passed' });
  j.log(I - S, SYSTEM.id, 'inject-intent', { handleId: 'fh-1', adapter: 'process', faultType: 'kill', targets: ['checkout-2', 'checkout-3'], expiresAt: I - S + 300 * S });
  j.log(I, SYSTEM.id, 'injected', { handleId: 'fh-1' });
  return j.apply(I, { type: 'injected', endsAt: I + 300 * S });
}

function revertAndPostcheck(j: Journal, at: number, reason: string, p99: number): Journal {
  j.log(at, SYSTEM.id, 'revert-started', { handleId: 'fh-1', reason });
  j.log(at + 5 * S, SYSTEM.id, 'reverted', { handleId: 'fh-1' });
  j.apply(at + 5 * S, { type: 'reverted' });
  const passed = p99 < 300;
  j.log(at + 20 * S, SYSTEM.id, 'postcheck', { results: [{ name: 'p99', passed, detail: `${p99} ${passed ? 'meets' : 'fails'} < 300`, value: p99 }] });
  j.apply(at + 20 * S, { type: 'postchecked', passed });
  return j.log(at + 20 * S, SYSTEM.id, 'verdict', { state: j.record.state, verdict: j.record.verdict });
}

function breachRun(): Journal {
  const j = injectedRun().reading(I + 10 * S, 0.01, 180).reading(I + 20 * S, 0.08, 240, 'pending').reading(I + 30 * S, null, 260).reading(I + 40 * S, 0.12, 250, 'pending');
  j.reading(I + 50 * S, 0.15, 310, 'breach');
  j.log(I + 50 * S, SYSTEM.id, 'breach', { guardrail: 'error-rate', status: 'breach', detail: '0.15 > 0.05 for 30s of 30s' });
  const reason = 'guardrail breached: error-rate (0.15 > 0.05 for 30s of 30s)';
  j.apply(I + 50 * S, { type: 'abort', actor: SYSTEM, reason, code: 'guardrail_breach' });
  return revertAndPostcheck(j, I + 51 * S, reason, 140);
}

function heldRun(): Journal {
  const j = injectedRun();
  for (let t = 30; t <= 300; t += 30) j.reading(I + t * S, 0.01 + t / 100_000, 150 + t / 10);
  j.apply(I + 300 * S, { type: 'duration-elapsed' });
  return revertAndPostcheck(j, I + 300 * S, 'duration elapsed', 130);
}

const input = (j: Journal, spec = playbook()): PostmortemInput => ({ record: j.record, spec, events: j.events, draftedAt: j.record.endedAt ?? T0 });
const render = async (i: PostmortemInput) => renderPostmortem(await readFile(TEMPLATE_PATH, 'utf8'), buildPostmortemView(i), 'postmortem.md.hbs');

const SECTIONS = [
  '# Post-mortem (draft): Kill checkout replicas — exp-42',
  '## Summary',
  '## Hypothesis and verdict',
  '## Blast radius and targets',
  '## Fault',
  '## People and approvals',
  '## Timeline',
  '### Before injection (pre-check)',
  '### During the fault (guardrail readings)',
  '### After the revert (post-check)',
  '## Guardrail breaches',
  '## Revert',
  '## What failed and why?',
  '## Were alerts accurate?',
  '## Which mitigations worked or failed?',
  '## Action items',
];

function expectClean(md: string) {
  let last = -1;
  for (const heading of SECTIONS) {
    const at = md.indexOf(heading);
    expect(at, heading).toBeGreaterThan(last);
    last = at;
  }
  expect(md).not.toMatch(/undefined|\[object Object\]|NaN|\{\{/);
}

describe('post-mortem of a run aborted by a guardrail breach', () => {
  const j = breachRun();

  it('the state machine ended where the engine would', () => {
    expect(j.record).toMatchObject({ state: 'aborted', verdict: 'refuted', injectedAt: I });
  });

  it('renders every section with the key facts', async () => {
    const md = await render(input(j));
    expectClean(md);
    expect(md).toContain('| State | **aborted** |');
    expect(md).toContain('**Verdict: refuted.**');
    expect(md).toContain('Guardrail error-rate breached at T+00:50 (0.15 > 0.05 for 30s of 30s)');
    expect(md).toContain('> If two checkout replicas die, the error rate stays under 5% and p99 under 300ms');
    // blast radius and the exact targets
    expect(md).toContain('Blast radius: `count:2` — **2 target(s) of 4 candidate(s)**');
    expect(md).toMatch(/\| `checkout-2` \| checkout-2 \| replica \| namespace=shop \|/);
    expect(md).toMatch(/\| `checkout-3` \|/);
    expect(md).toContain('Fault: `kill`, parameters: `{"signal":"SIGTERM"}`');
    expect(md).toContain('Planned duration: 5m');
    expect(md).toContain('Time the fault was in (injection to revert): 56s');
  });

  it('has a timeline with actor ids, ISO UTC times and T+ times relative to injection', async () => {
    const md = await render(input(j));
    expect(md).toContain('`T` is relative to the injection at 2025-01-15T10:02:07Z');
    expect(md).toContain('- `2025-01-15T10:00:00Z` `T-02:07` — **alice (U_ALICE)**: Proposed by alice (U_ALICE): 2 target(s) of 4 candidate(s) (checkout-2, checkout-3)');
    expect(md).toContain('Refused "approve" from alice (U_ALICE) (approval_self)');
    expect(md).toContain('`2025-01-15T10:01:00Z` `T-01:07` — **bob (U_BOB)**: Approved by bob (U_BOB) (proposed → approved)');
    expect(md).toContain('**alice (U_ALICE)**: Started by alice (U_ALICE)');
    expect(md).toContain('`T-00:01` — **faultline (bot)**: Intent journaled: inject kill via process into checkout-2, checkout-3 (handle fh-1)');
    expect(md).toContain('`2025-01-15T10:02:07Z` `T+00:00` — **faultline (bot)**: Fault injected (handle fh-1)');
    expect(md).toContain('`T+00:50` — **faultline (bot)**: Guardrail error-rate breached: 0.15 > 0.05 for 30s of 30s');
    expect(md).toContain('Aborted by faultline (bot): guardrail breached: error-rate (0.15 > 0.05 for 30s of 30s) (running/observing → running/reverting)');
    expect(md).toContain('`T+00:56` — **faultline (bot)**: Fault reverted (handle fh-1)');
    expect(md).toContain('Steady state after revert: all passed (p99: pass, 140 meets < 300)');
    expect(md).toContain('Ended aborted; verdict refuted');
    // folded: no duplicate "injected (running/injecting → running/observing)" line, no raw readings
    expect(md).not.toContain('running/injecting → running/observing');
    expect(md).not.toMatch(/\*\*: reading/);
    expect(md).toContain('| Aborted (automatic) | faultline (bot) |');
  });

  it('shows steady state before, during (min/max/last) and after', async () => {
    const md = await render(input(j));
    expect(md).toContain('| p99 | pass | 120 | 120 meets < 300 |');
    expect(md).toContain('5 sampling round(s) from T+00:10 to T+00:50.');
    expect(md).toContain('| error-rate | > 0.05 for 30s | 5 | 1 | 0.01 | 0.15 | 0.15 | breach |');
    expect(md).toContain('| latency | > 800 | 5 | 0 | 180 | 310 | 310 | ok |');
    expect(md).toContain('| p99 | pass | 140 | 140 meets < 300 |');
  });

  it('lists breaches, what was reverted, the post-revert check and the prompts', async () => {
    const md = await render(input(j));
    expect(md).toContain('- `2025-01-15T10:02:57Z` `T+00:50` — **error-rate** breach: 0.15 > 0.05 for 30s of 30s');
    expect(md).toContain('Every injected fault was reverted.');
    expect(md).toMatch(/\| `fh-1` \| kill \| process \| checkout-2, checkout-3 \| 2025-01-15T10:02:07Z \(T\+00:00\) \|.*\| guardrail breached: error-rate .* \| reverted at 2025-01-15T10:03:03Z \(T\+00:56\) \|/);
    expect(md).toContain('Post-revert check: passed at 2025-01-15T10:03:18Z (T+01:11).');
    expect(md).toContain('faultline-replica restart checkout');
    expect(md).toContain('- [ ] `CheckoutErrorRateHigh` fired as expected?');
    expect(md).toContain('Linked PagerDuty services: `PCHECKOUT`.');
    expect(md.split('## Action items')[1]).toMatch(/- \[ \] /);
  });
});

describe('post-mortem of a run that held', () => {
  const j = heldRun();

  it('renders the held verdict and a quiet run', async () => {
    expect(j.record).toMatchObject({ state: 'completed', verdict: 'held' });
    const md = await render(input(j, playbook({ expectAlerts: [], pagerduty: { services: [] }, rollback: undefined })));
    expectClean(md);
    expect(md).toContain('| Verdict | **held** |');
    expect(md).toContain('**Verdict: held.** Held: the steady state stayed within its bounds');
    expect(md).toContain('The kill fault on 2 targets ran for the planned 5m; no guardrail tripped');
    expect(md).toContain('No guardrail breached.');
    expect(md).toContain('`T+05:00` — **faultline (bot)**: Fault duration elapsed; revert begins (running/observing → running/reverting)');
    expect(md).toContain('`T+05:05` — **faultline (bot)**: Fault reverted (handle fh-1)');
    expect(md).toContain('Time the fault was in (injection to revert): 5m5s');
    expect(md).toContain('| error-rate | > 0.05 for 30s | 10 | 0 | 0.0103 | 0.013 | 0.013 | ok |');
    expect(md).toContain('No expected alerts were declared in the playbook');
    expect(md).not.toContain('Linked PagerDuty services');
    expect(md).not.toContain('Manual rollback steps');
    expect(md).not.toContain('Aborted');
  });
});

describe('post-mortems of other endings', () => {
  it('precheck failed: nothing injected, times relative to the start', async () => {
    const j = new Journal(makeRecord('approved', null, { id: 'exp-7' }));
    j.apply(T0 + 60 * S, { type: 'start', actor: alice, currentPlanHash: j.record.planHash, limits: openLimits, targetIds: [], authority }, alice);
    j.log(T0 + 70 * S, SYSTEM.id, 'precheck', { results: [{ name: 'p99', passed: false, detail: '900 fails < 300', value: 900 }] });
    j.apply(T0 + 70 * S, { type: 'precheck-failed', reason: 'p99: 900 fails < 300' });
    const view = buildPostmortemView(input(j));
    expect(view.origin.label).toContain('start');
    expect(view.summary).toContain('nothing was injected');
    expect(view.revertSummary).toBe('Nothing was injected, so nothing needed reverting.');
    expect(view.verdict).toBe('inconclusive');
    const md = renderPostmortem(await readFile(TEMPLATE_PATH, 'utf8'), view, 't');
    expect(md).toContain('`T+00:10` — **faultline (bot)**: Steady state before injection: 1 of 1 failed');
    expect(md).toContain('No post-check was recorded.');
  });

  it('revert failed: the draft says the fault may still be in place', async () => {
    const j = injectedRun();
    j.apply(I + 300 * S, { type: 'duration-elapsed' });
    j.log(I + 301 * S, SYSTEM.id, 'revert-started', { handleId: 'fh-1', reason: 'duration elapsed' });
    j.log(I + 302 * S, SYSTEM.id, 'revert-failed', { error: 'revert failed: EPERM' });
    j.apply(I + 302 * S, { type: 'revert-failed', reason: 'revert failed: EPERM' });
    const md = await render(input(j));
    expectClean(md);
    expect(md).toContain('At least one revert FAILED');
    expect(md).toContain('REVERT FAILED at 2025-01-15T10:07:09Z: revert failed: EPERM; undo by hand');
    expect(md).toContain('Manual rollback steps from the playbook');
    expect(md).toContain('needs manual clean-up');
  });

  it('manual abort: blameless summary, the abort request is not listed twice', () => {
    const j = injectedRun().reading(I + 10 * S, 0.01, 180);
    j.apply(I + 20 * S, { type: 'abort', actor: bob, reason: 'payments incident, freeing capacity', code: 'manual' }, bob);
    j.log(I + 20 * S, bob.id, 'abort', { reason: 'payments incident, freeing capacity', code: 'manual' });
    revertAndPostcheck(j, I + 21 * S, 'payments incident, freeing capacity', 120);
    const view = buildPostmortemView(input(j));
    expect(view.verdict).toBe('inconclusive');
    expect(view.summary).toBe('The experiment was aborted on request (manual: payments incident, freeing capacity) while the kill fault on 2 targets was in; the fault was reverted.');
    expect(view.people.map((p) => [p.role, p.who])).toContainEqual(['Aborted', 'bob (U_BOB)']);
    const aborts = view.timeline.filter((e) => /abort/i.test(e.text) && e.actor === 'bob (U_BOB)');
    expect(aborts.map((e) => [e.rel, e.text])).toEqual([['T+00:20', 'Aborted by bob (U_BOB): payments incident, freeing capacity (running/observing → running/reverting)']]);
  });

  it('rejected: never ran, times relative to the proposal', async () => {
    const j = new Journal(makeRecord('proposed', null, { id: 'exp-9' }));
    j.log(T0, alice.id, 'proposed', { planHash: j.record.planHash, seed: 1, candidates: 3, targets: [{ id: 'checkout-1', name: 'checkout-1' }] });
    j.apply(T0 + 90 * S, { type: 'reject', actor: bob, reason: 'not during the sale', authority }, bob);
    const view = buildPostmortemView(input(j));
    expect(view.summary).toBe('The experiment never ran (rejected: not during the sale); nothing was injected.');
    expect(view.origin.label).toContain('proposal');
    expect(view.people.map((p) => p.role)).toEqual(['Proposed', 'Rejected']);
    const md = renderPostmortem(await readFile(TEMPLATE_PATH, 'utf8'), view, 't');
    expect(md).toContain('`T+01:30` — **bob (U_BOB)**: Rejected by bob (U_BOB): not during the sale (proposed → rejected)');
    expect(md).toContain('No guardrail readings were recorded.');
    expect(md).toContain('Nothing was injected, so nothing needed reverting.');
  });

  it('ignores events of other experiments and does not reorder the caller’s list', () => {
    const j = breachRun();
    const events = [...j.events].reverse();
    events.push({ seq: 999, at: I, actor: 'U_X', kind: 'injected', experimentId: 'exp-other', data: { handleId: 'fh-x' } });
    const copy = structuredClone(events);
    const view = buildPostmortemView({ ...input(j), events });
    expect(events).toEqual(copy);
    expect(view.timeline.map((e) => e.text).join('\n')).not.toContain('fh-x');
    expect(view.timeline.map((e) => e.seq)).toEqual([...view.timeline.map((e) => e.seq)].sort((a, b) => a - b));
  });
});
