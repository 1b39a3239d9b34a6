import { join } from 'node:path';
import { SYSTEM, type Actor } from '../../src/core/actor.js';
import type { ExperimentRecord, Plan } from '../../src/core/experiment.js';
import { stepNotRun, type GameDayRecord, type GameDayStepRun } from '../../src/core/gameday-record.js';
import { planHash } from '../../src/core/plan-hash.js';
import { Experiment, type ExperimentInput } from '../../src/core/playbook.js';
import type { Store } from '../../src/store/index.js';
import { alice, bob, carol, makePlan, makeRecord, MIN, target, T0 } from '../core/fixtures.js';

/*
 * A three-step game day as the engine leaves it in the store: step 1 held; at the checkpoint before
 * step 2 the commander held, then continued; step 2 was aborted by a guardrail breach (PagerDuty
 * linked, one incident); step 3 never ran.
 */

const S = 1000;
export const GD_ID = 'gd-1a2b3c';
export const dave: Actor = { id: 'U_DAVE', team: 'T1', name: 'dave' };
export const DRAFTED_AT = T0 + 20 * MIN;

const guardrails: Plan['guardrails'] = [
  { name: 'error-rate', signal: 'http', comparison: '>', threshold: 0.05, forMs: 30 * S, maxUnknown: 3 },
  { name: 'p99-latency', signal: 'http', comparison: '>', threshold: 800, forMs: 0, maxUnknown: 3 },
];

export function stepSpec(over: Partial<ExperimentInput> = {}): Experiment {
  return Experiment.parse({
    kind: 'Experiment',
    name: 'checkout-kill',
    title: 'Kill checkout replicas',
    hypothesis: 'If checkout replicas die, the error rate stays under 5%\nand p99 under 800ms',
    owner: 'team-checkout',
    target: { adapter: 'process', selector: { app: 'checkout' }, blastRadius: 'one' },
    fault: { type: 'kill', parameters: { signal: 'SIGTERM' }, duration: '2m' },
    guardrails: [
      { name: 'error-rate', signal: { source: 'http' }, comparison: '>', threshold: 0.05, for: '30s' },
      { name: 'p99-latency', signal: { source: 'http' }, comparison: '>', threshold: 800 },
    ],
    ...over,
  } satisfies ExperimentInput);
}

const plans: Plan[] = [
  makePlan({ experiment: 'checkout-kill', blastRadius: 'one', candidates: 4, targets: [target('checkout-1', { zone: 'a' })], durationMs: 2 * MIN, guardrails }),
  makePlan({
    experiment: 'checkout-kill',
    blastRadius: 'percent:50',
    candidates: 4,
    targets: [target('checkout-2', { zone: 'a' }), target('checkout-3', { zone: 'b' })],
    durationMs: 2 * MIN,
    guardrails,
  }),
  makePlan({
    experiment: 'checkout-kill',
    blastRadius: 'all',
    candidates: 4,
    targets: ['checkout-1', 'checkout-2', 'checkout-3', 'checkout-4'].map((id) => target(id, { zone: 'a' })),
    durationMs: 5 * MIN,
    guardrails,
  }),
];

const STEP_NAMES = ['One replica', 'Half of checkout', 'Every replica | whole service'];

function stepRun(index: number, over: Partial<GameDayStepRun> = {}): GameDayStepRun {
  const plan = plans[index]!;
  const hypothesis = 'If checkout replicas die, the error rate stays under 5% and p99 under 800ms';
  return { ...stepNotRun({ index, name: STEP_NAMES[index]!, experiment: 'checkout-kill', hypothesis, plan, planHash: planHash(plan) }), ...over };
}

export function gameDayRecord(dir: string, over: Partial<GameDayRecord> = {}): GameDayRecord {
  const steps = [
    stepRun(0, { experimentId: 'exp-gd1', state: 'completed', verdict: 'held', startedAt: T0 + 5 * MIN, endedAt: T0 + 7 * MIN + 40 * S }),
    stepRun(1, { experimentId: 'exp-gd2', state: 'aborted', verdict: 'refuted', startedAt: T0 + 12 * MIN, endedAt: T0 + 13 * MIN + 30 * S, summary: 'guardrail breached: error-rate' }),
    stepRun(2),
  ];
  return {
    id: GD_ID,
    name: 'checkout-gameday',
    title: 'Checkout survives losing replicas',
    channel: '#chaos',
    roles: { commander: carol.id, scribe: dave.id, observers: ['U_ERIN', alice.id] },
    autoContinue: 'never',
    commanderTimeoutMs: 15 * MIN,
    steps,
    planHash: 'ab12cd34ef56'.repeat(5) + 'abcd',
    proposedBy: alice,
    proposedAt: T0,
    approval: { by: bob, at: T0 + 2 * MIN, planHash: 'ab12cd34ef56'.repeat(5) + 'abcd', expiresAt: T0 + 32 * MIN },
    state: 'aborted',
    next: 2,
    current: null,
    decisions: [
      { beforeStep: 0, choice: 'continue', by: carol, at: T0 + 5 * MIN, reason: null },
      { beforeStep: 1, choice: 'hold', by: carol, at: T0 + 8 * MIN, reason: 'latency dashboard lags;\nwait for it' },
      { beforeStep: 1, choice: 'continue', by: carol, at: T0 + 11 * MIN + 50 * S, reason: null },
    ],
    holdReason: null,
    holdRequested: false,
    pendingApproval: null,
    closedBy: { by: SYSTEM, at: T0 + 13 * MIN + 30 * S, reason: 'step 2/3 (Half of checkout) ended aborted, verdict refuted: guardrail breached: error-rate' },
    startedAt: T0 + 5 * MIN,
    endedAt: T0 + 13 * MIN + 30 * S,
    updatedAt: T0 + 13 * MIN + 30 * S,
    commanderSeenAt: T0 + 11 * MIN + 50 * S,
    reportPath: join(dir, `${GD_ID}-gameday-report.md`),
    notes: [],
    actions: [],
    roleHistory: [],
    onCall: [],
    drill: null,
    ...over,
  };
}

type Log = (at: number, actor: string, kind: string, data?: Record<string, unknown>) => void;
const logger = (store: Store, id: string): Log => (at, actor, kind, data = {}) => void store.append({ at, actor, kind, experimentId: id, data });

function save(store: Store, record: ExperimentRecord, spec: Experiment): void {
  store.experiments.save({ id: record.id, name: record.name, state: record.state, updatedAt: record.updatedAt, data: { record, spec, card: null } });
}

function runStart(log: Log, r: ExperimentRecord, at: number): number {
  log(at - 4 * MIN, alice.id, 'proposed', { planHash: r.planHash, seed: 42, candidates: r.plan.candidates, targets: r.plan.targets.map((t) => ({ id: t.id, name: t.name })) });
  log(at, carol.id, 'transition', { event: 'start', from: 'approved', to: 'running/prechecking' });
  log(at + 5 * S, SYSTEM.id, 'precheck', { results: [] });
  log(at + 9 * S, SYSTEM.id, 'inject-intent', { handleId: `fh-${r.id}`, adapter: 'process', faultType: 'kill', targets: r.plan.targets.map((t) => t.id), expiresAt: at + 9 * S + r.plan.durationMs });
  log(at + 10 * S, SYSTEM.id, 'injected', { handleId: `fh-${r.id}` });
  return at + 10 * S;
}

function reading(log: Log, at: number, err: number, p99: number, status = 'ok'): void {
  log(at, SYSTEM.id, 'reading', { results: [{ name: 'error-rate', status, value: err, detail: `${err}` }, { name: 'p99-latency', status: 'ok', value: p99, detail: `${p99}` }] });
}

/** Writes both step experiments, their journals and the game day's own journal into the store. */
export function seedStore(store: Store, dir: string, gd: GameDayRecord = gameDayRecord(dir)): void {
  const gdLog = logger(store, GD_ID);
  // As the game-day service journals: every transition as { event, from, to, next, reason? }.
  const move = (at: number, actor: string, event: string, from: string, to: string, next: number, reason?: string) =>
    gdLog(at, actor, 'gameday-transition', { event, from, to, next, ...(reason ? { reason } : {}) });
  gdLog(T0, alice.id, 'gameday-proposed', {
    gameday: gd.name,
    file: 'playbooks/checkout-gameday.yaml',
    planHash: gd.planHash,
    steps: gd.steps.map((st) => ({ name: st.name, planHash: st.planHash, seed: st.plan.seed, targets: st.plan.targets.map((t) => t.name) })),
  });
  move(T0 + 2 * MIN, bob.id, 'approve', 'proposed', 'approved', 0);
  move(T0 + 5 * MIN, carol.id, 'continue', 'approved', 'running', 0);

  // Step 1: one replica, held.
  const r1 = makeRecord('completed', null, {
    id: 'exp-gd1', plan: plans[0]!, planHash: planHash(plans[0]!), proposedBy: alice, proposedAt: T0 + MIN, startedBy: carol,
    startedAt: T0 + 5 * MIN, injectedAt: T0 + 5 * MIN + 10 * S, endsAt: T0 + 7 * MIN + 10 * S, endedAt: T0 + 7 * MIN + 40 * S,
    verdict: 'held', gameDay: { id: GD_ID, step: 0 }, updatedAt: T0 + 7 * MIN + 40 * S,
  });
  const log1 = logger(store, r1.id);
  move(T0 + 5 * MIN, SYSTEM.id, 'step-started', 'running', 'running', 0);
  const i1 = runStart(log1, r1, T0 + 5 * MIN);
  for (let t = 30; t <= 120; t += 30) reading(log1, i1 + t * S, 0.004 + t / 100_000, 210 + t);
  log1(i1 + 2 * MIN, SYSTEM.id, 'revert-started', { handleId: `fh-${r1.id}`, reason: 'duration elapsed' });
  log1(i1 + 2 * MIN + 5 * S, SYSTEM.id, 'reverted', { handleId: `fh-${r1.id}` });
  log1(i1 + 2 * MIN + 20 * S, SYSTEM.id, 'postcheck', { results: [] });
  log1(i1 + 2 * MIN + 30 * S, SYSTEM.id, 'verdict', { state: 'completed', verdict: 'held' });
  log1(i1 + 2 * MIN + 30 * S, SYSTEM.id, 'postmortem', { path: join(dir, 'exp-gd1.md') });
  save(store, r1, stepSpec());
  move(T0 + 7 * MIN + 40 * S, SYSTEM.id, 'step-ended', 'running', 'checkpoint', 1);

  // The checkpoint before step 2: hold, then continue.
  move(T0 + 8 * MIN, carol.id, 'hold', 'checkpoint', 'held', 1, 'latency dashboard lags; wait for it');
  move(T0 + 10 * MIN, carol.id, 'commander-seen', 'held', 'held', 1);
  move(T0 + 11 * MIN + 50 * S, carol.id, 'continue', 'held', 'running', 1);

  // Step 2: half of checkout, aborted on the error-rate guardrail, PagerDuty linked.
  const breachAt = T0 + 13 * MIN;
  const reason = 'guardrail breached: error-rate (0.12 > 0.05 for 30s of 30s)';
  const r2 = makeRecord('aborted', null, {
    id: 'exp-gd2', plan: plans[1]!, planHash: planHash(plans[1]!), proposedBy: alice, proposedAt: T0 + MIN, startedBy: carol,
    startedAt: T0 + 12 * MIN, injectedAt: T0 + 12 * MIN + 10 * S, endsAt: T0 + 14 * MIN + 10 * S, endedAt: T0 + 13 * MIN + 30 * S,
    verdict: 'refuted', abort: { by: SYSTEM, at: breachAt, reason, code: 'guardrail_breach' }, gameDay: { id: GD_ID, step: 1 }, updatedAt: T0 + 13 * MIN + 30 * S,
  });
  const log2 = logger(store, r2.id);
  move(T0 + 12 * MIN, SYSTEM.id, 'step-started', 'running', 'running', 1);
  const i2 = runStart(log2, r2, T0 + 12 * MIN);
  reading(log2, i2 + 10 * S, 0.02, 340);
  reading(log2, i2 + 20 * S, 0.07, 520, 'pending');
  reading(log2, i2 + 35 * S, 0.11, 910, 'pending');
  reading(log2, breachAt, 0.12, 760, 'breach');
  log2(i2 + 25 * S, SYSTEM.id, 'incident', {
    id: 'Q1INC', title: 'Checkout error rate high', serviceId: 'PCHECKOUT', urgency: 'high', status: 'acknowledged',
    url: 'https://example.pagerduty.com/incidents/Q1INC', createdAt: i2 + 25 * S, acknowledgedAt: i2 + 40 * S,
  });
  log2(breachAt, SYSTEM.id, 'breach', { guardrail: 'error-rate', status: 'breach', detail: '0.12 > 0.05 for 30s of 30s' });
  log2(breachAt, SYSTEM.id, 'transition', { event: 'abort', from: 'running/observing', to: 'running/reverting', reason });
  log2(breachAt + S, SYSTEM.id, 'revert-started', { handleId: `fh-${r2.id}`, reason });
  log2(breachAt + 6 * S, SYSTEM.id, 'reverted', { handleId: `fh-${r2.id}` });
  log2(breachAt + 25 * S, SYSTEM.id, 'postcheck', { results: [] });
  log2(breachAt + 30 * S, SYSTEM.id, 'verdict', { state: 'aborted', verdict: 'refuted' });
  log2(breachAt + 30 * S, SYSTEM.id, 'postmortem', { path: join(dir, 'exp-gd2.md') });
  save(store, r2, stepSpec({ target: { adapter: 'process', selector: { app: 'checkout' }, blastRadius: 'percent:50' }, pagerduty: { services: ['PCHECKOUT'] }, expectAlerts: ['CheckoutErrorRateHigh'] }));
  move(T0 + 13 * MIN + 30 * S, SYSTEM.id, 'step-ended', 'running', 'aborted', 1);
  gdLog(T0 + 13 * MIN + 31 * S, SYSTEM.id, 'gameday-report', { path: gd.reportPath });
}
