import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../src/core/actor.js';
import { gameDayCard, checkpointMessage } from '../../src/core/gameday-card.js';
import { commanderLost, gameDayTransition, type GameDayEvent } from '../../src/core/gameday-lifecycle.js';
import { GameDayRecord, stepNotRun } from '../../src/core/gameday-record.js';
import { planHash } from '../../src/core/plan-hash.js';
import { alice, authority, bob, carol, makePlan, MIN, policy, T0 } from './fixtures.js';

const commander = carol;

function record(patch: Partial<GameDayRecord> = {}): GameDayRecord {
  const plans = [makePlan({ blastRadius: 'one' }), makePlan({ blastRadius: 'count:2' }), makePlan({ blastRadius: 'percent:100' })];
  return GameDayRecord.parse({
    id: 'gd-abc123',
    name: 'checkout-gameday',
    title: 'Checkout game day',
    channel: '#gameday',
    roles: { commander: commander.id, scribe: 'U_SCRIBE', observers: ['U_OBS'] },
    autoContinue: 'never',
    commanderTimeoutMs: 15 * MIN,
    steps: plans.map((plan, index) =>
      stepNotRun({ index, name: `step ${index + 1}`, experiment: 'checkout-latency', hypothesis: 'If a replica slows down, p99 stays under 300 ms', plan, planHash: planHash(plan) }),
    ),
    planHash: 'h-all',
    proposedBy: alice,
    proposedAt: T0,
    approval: null,
    state: 'proposed',
    next: 0,
    current: null,
    decisions: [],
    holdReason: null,
    holdRequested: false,
    pendingApproval: null,
    closedBy: null,
    startedAt: null,
    endedAt: null,
    updatedAt: T0,
    commanderSeenAt: T0,
    reportPath: '/tmp/gd-abc123-gameday-report.md',
    notes: [],
    actions: [],
    roleHistory: [],
    ...patch,
  });
}

/** Applies events in order, threading the record; returns the last result and every effect seen. */
function run(gd: GameDayRecord, events: GameDayEvent[], at = T0 + MIN) {
  let state = gd;
  const effects = [];
  for (const e of events) {
    const r = gameDayTransition(state, e, at);
    state = r.state;
    effects.push(...r.effects);
  }
  return { state, effects };
}

const approve: GameDayEvent = { type: 'approve', actor: bob, currentPlanHash: 'h-all', policy };
const held = (index: number): GameDayEvent => ({ type: 'step-ended', outcome: { index, state: 'completed', verdict: 'held', summary: null } });
const startStep = (index: number): GameDayEvent[] => [{ type: 'continue', actor: commander }, { type: 'step-started', index, experimentId: `exp-00000${index}` }];

describe('game-day lifecycle', () => {
  it('one approval by a second person, then the commander continues step by step to completion with a report', () => {
    const { state, effects } = run(record(), [approve, ...startStep(0), held(0), ...startStep(1), held(1), ...startStep(2), held(2)]);
    expect(state.state).toBe('completed');
    expect(state.steps.map((s) => s.verdict)).toEqual(['held', 'held', 'held']);
    expect(state.decisions.map((d) => [d.beforeStep, d.choice, d.by.id])).toEqual([
      [0, 'continue', commander.id],
      [1, 'continue', commander.id],
      [2, 'continue', commander.id],
    ]);
    expect(effects.filter((e) => e.type === 'start-step').map((e) => (e as { index: number }).index)).toEqual([0, 1, 2]);
    expect(effects.filter((e) => e.type === 'checkpoint').map((e) => (e as { beforeStep: number }).beforeStep)).toEqual([1, 2]);
    expect(effects.at(-1)).toEqual({ type: 'write-report' });
  });

  it('refuses self-approval, non-approvers and a plan that changed since the proposal', () => {
    expect(() => gameDayTransition(record(), { ...approve, actor: alice } as GameDayEvent, T0)).toThrow(expect.objectContaining({ code: 'approval_self' }));
    expect(() => gameDayTransition(record(), { ...approve, actor: { id: 'U_EVE' } } as GameDayEvent, T0)).toThrow(expect.objectContaining({ code: 'approval_not_approver' }));
    expect(() => gameDayTransition(record(), { ...approve, currentPlanHash: 'other' } as GameDayEvent, T0)).toThrow(expect.objectContaining({ code: 'approval_plan_changed' }));
  });

  it('only the commander continues or holds; anyone aborts', () => {
    const approved = run(record(), [approve]).state;
    expect(() => gameDayTransition(approved, { type: 'continue', actor: bob }, T0)).toThrow(expect.objectContaining({ code: 'gameday_role' }));
    expect(() => gameDayTransition(approved, { type: 'hold', actor: alice, reason: 'x' }, T0)).toThrow(expect.objectContaining({ code: 'gameday_role' }));
    const running = run(approved, startStep(0)).state;
    const aborted = gameDayTransition(running, { type: 'abort', actor: bob, reason: 'customers complain' }, T0 + 2 * MIN);
    expect(aborted.state.state).toBe('aborted');
    expect(aborted.effects).toContainEqual({ type: 'abort-step', experimentId: 'exp-000000', reason: expect.stringContaining('customers complain') });
    // The report waits for the running step to finish reverting.
    expect(aborted.effects).not.toContainEqual({ type: 'write-report' });
    const ended = gameDayTransition(aborted.state, { type: 'step-ended', outcome: { index: 0, state: 'aborted', verdict: 'inconclusive', summary: 'customers complain' } }, T0 + 3 * MIN);
    expect(ended.state.steps[0]!.state).toBe('aborted');
    expect(ended.effects).toEqual([{ type: 'write-report' }]);
  });

  it('a schedule with a standing approval starts step 1 itself; later checkpoints still need the commander', () => {
    const scheduler = { id: 'schedule:sch-1', name: 'schedule sch-1' };
    const manual = run(record(), [approve]).state;
    expect(() => gameDayTransition(manual, { type: 'continue', actor: scheduler, scheduled: true }, T0)).toThrow(expect.objectContaining({ code: 'gameday_role' }));
    const scheduled = run(record({ scheduleId: 'sch-1' }), [approve, { type: 'continue', actor: scheduler, scheduled: true }]);
    expect(scheduled.state.state).toBe('running');
    expect(scheduled.state.decisions[0]).toMatchObject({ choice: 'continue', by: scheduler, reason: 'scheduled start (sch-1)' });
    const atCheckpoint = run(scheduled.state, [{ type: 'step-started', index: 0, experimentId: 'exp-000000' }, held(0)]).state;
    expect(() => gameDayTransition(atCheckpoint, { type: 'continue', actor: scheduler, scheduled: true }, T0)).toThrow(expect.objectContaining({ code: 'gameday_role' }));
  });

  it('hold at a checkpoint, then continue; hold during a step stops even autoContinue at the next checkpoint', () => {
    const atCheckpoint = run(record(), [approve, ...startStep(0), held(0)]).state;
    expect(atCheckpoint.state).toBe('checkpoint');
    const holding = gameDayTransition(atCheckpoint, { type: 'hold', actor: commander, reason: 'waiting for the dashboards' }, T0).state;
    expect(holding.state).toBe('held');
    expect(holding.holdReason).toContain('waiting for the dashboards');
    const resumed = gameDayTransition(holding, { type: 'continue', actor: commander }, T0);
    expect(resumed.state.state).toBe('running');
    expect(resumed.effects).toContainEqual({ type: 'start-step', index: 1 });

    const auto = run(record({ autoContinue: 'whenHeld' }), [approve, ...startStep(0), { type: 'hold', actor: commander, reason: 'look first' }, held(0)]).state;
    expect(auto.state).toBe('held');
    expect(auto.decisions.at(-1)).toMatchObject({ beforeStep: 1, choice: 'hold', by: commander, reason: 'look first' });
  });

  it('a hold typed while a step runs is kept with who and when, and applied when the step ends', () => {
    const running = run(record(), [approve, ...startStep(0)]).state;
    const asked = gameDayTransition(running, { type: 'hold', actor: commander, reason: 'dashboards lag' }, T0 + 2 * MIN);
    expect(asked.state.state).toBe('running');
    expect(asked.state.holdRequested).toEqual({ by: commander, at: T0 + 2 * MIN, reason: 'dashboards lag' });
    expect(asked.effects).toEqual([{ type: 'notify', tone: 'info', text: expect.stringContaining('hold after step 1/3') }]);
    const ended = gameDayTransition(asked.state, held(0), T0 + 3 * MIN);
    expect(ended.state).toMatchObject({ state: 'held', next: 1, current: null, holdRequested: false, holdReason: expect.stringContaining('dashboards lag') });
    expect(ended.state.decisions.map((d) => [d.beforeStep, d.choice, d.by.id, d.at, d.reason])).toEqual([
      [0, 'continue', commander.id, T0 + MIN, null],
      [1, 'hold', commander.id, T0 + 2 * MIN, 'dashboards lag'],
    ]);
    expect(ended.effects).toContainEqual({ type: 'checkpoint', beforeStep: 1 });
    // Continue resumes as at any hold; the next step's end is an ordinary checkpoint again.
    const resumed = run(ended.state, [...startStep(1), held(1)], T0 + 4 * MIN).state;
    expect(resumed.state).toBe('checkpoint');
    expect(resumed.decisions.map((d) => d.choice)).toEqual(['continue', 'hold', 'continue']);
    // An abort during the step still wins at once over the asked hold.
    const aborted = gameDayTransition(asked.state, { type: 'abort', actor: bob, reason: 'alarms' }, T0 + 2 * MIN);
    expect(aborted.state.state).toBe('aborted');
    expect(aborted.effects).toContainEqual({ type: 'abort-step', experimentId: 'exp-000000', reason: expect.stringContaining('alarms') });
  });

  it('a hold typed during the last step is said to be noted, and the completed day keeps it in its decisions', () => {
    const last = run(record(), [approve, ...startStep(0), held(0), ...startStep(1), held(1), ...startStep(2)]).state;
    expect(last).toMatchObject({ state: 'running', current: 2 });
    const asked = gameDayTransition(last, { type: 'hold', actor: commander, reason: 'want to look at the pool' }, T0 + 5 * MIN);
    expect(asked.effects).toEqual([{ type: 'notify', tone: 'info', text: expect.stringContaining('it is the last step, so the day ends after it and the hold is noted') }]);
    const done = gameDayTransition(asked.state, held(2), T0 + 6 * MIN).state;
    expect(done).toMatchObject({ state: 'completed', holdRequested: false });
    expect(done.decisions.at(-1)).toMatchObject({ beforeStep: 3, choice: 'hold', by: commander, at: T0 + 5 * MIN, reason: 'want to look at the pool' });
  });

  it('a running-step hold in a record written before holds were kept still holds (by the bot)', () => {
    const running = { ...run(record(), [approve, ...startStep(0)]).state, holdRequested: true as const };
    const ended = gameDayTransition(GameDayRecord.parse(running), held(0), T0 + 3 * MIN).state;
    expect(ended.state).toBe('held');
    expect(ended.decisions.at(-1)).toMatchObject({ choice: 'hold', by: SYSTEM });
  });

  it('autoContinue: whenHeld goes on after a held step, but holds when the commander has been silent too long', () => {
    const base = record({ autoContinue: 'whenHeld' });
    const going = run(base, [approve, ...startStep(0), held(0)], T0 + 2 * MIN);
    expect(going.state.state).toBe('running');
    expect(going.state.decisions.at(-1)).toMatchObject({ beforeStep: 1, choice: 'auto', by: SYSTEM });
    expect(going.effects).toContainEqual({ type: 'start-step', index: 1 });

    const started = run(base, [approve, ...startStep(0)], T0 + MIN).state;
    expect(commanderLost(started, T0 + 10 * MIN)).toBe(false);
    const late = gameDayTransition(started, held(0), T0 + MIN + 16 * MIN);
    expect(late.state.state).toBe('held');
    expect(late.state.holdReason).toMatch(/commander has not been seen for 16m/);
    expect(late.effects).not.toContainEqual({ type: 'start-step', index: 1 });
  });

  it('a refuted or aborted step stops the day; later steps never start', () => {
    const refuted = run(record(), [approve, ...startStep(0), { type: 'step-ended', outcome: { index: 0, state: 'completed', verdict: 'refuted', summary: null } }]);
    expect(refuted.state.state).toBe('aborted');
    expect(refuted.state.closedBy?.reason).toContain('verdict refuted');
    expect(refuted.effects.filter((e) => e.type === 'start-step')).toHaveLength(1);
    const breach = run(record(), [approve, ...startStep(0), held(0), ...startStep(1), { type: 'step-ended', outcome: { index: 1, state: 'aborted', verdict: 'refuted', summary: 'guardrail breached: error rate' } }]);
    expect(breach.state.state).toBe('aborted');
    expect(breach.state.steps[2]!.state).toBeNull();
    expect(() => gameDayTransition(breach.state, { type: 'continue', actor: commander }, T0)).toThrow(expect.objectContaining({ code: 'illegal_transition' }));
  });

  it('a refused start holds with the reason; a drifted plan needs an approver again before Continue', () => {
    const running = run(record(), [approve, ...startStep(0), held(0), { type: 'continue', actor: commander }]).state;
    const frozen = gameDayTransition(running, { type: 'step-refused', index: 1, reason: 'chaos is frozen until …' }, T0).state;
    expect(frozen.state).toBe('held');
    expect(frozen.holdReason).toContain('step 2/3 (step 2) could not start: chaos is frozen');
    expect(frozen.steps[1]!.experimentId).toBeNull();

    const newPlan = makePlan({ blastRadius: 'count:2', targets: [] });
    const drift = { step: 1, plan: newPlan, planHash: planHash(newPlan), gameDayHash: 'h-new', reason: 'targets were checkout-1, now (none)' };
    const drifted = gameDayTransition(running, { type: 'step-refused', index: 1, reason: 'plan changed', drift }, T0).state;
    expect(() => gameDayTransition(drifted, { type: 'continue', actor: commander }, T0)).toThrow(expect.objectContaining({ code: 'approval_plan_changed' }));
    expect(() => gameDayTransition(drifted, { type: 'approve', actor: alice, currentPlanHash: 'h-new', policy }, T0)).toThrow(expect.objectContaining({ code: 'approval_self' }));
    const reapproved = gameDayTransition(drifted, { type: 'approve', actor: bob, currentPlanHash: 'h-new', policy }, T0).state;
    expect(reapproved.planHash).toBe('h-new');
    expect(reapproved.steps[1]!.planHash).toBe(drift.planHash);
    expect(gameDayTransition(reapproved, { type: 'continue', actor: commander }, T0).effects).toContainEqual({ type: 'start-step', index: 1 });
  });

  it('interrupted mid-step waits for the step to end before the report; expiry and rejection close it', () => {
    const running = run(record(), [approve, ...startStep(0)]).state;
    const cut = gameDayTransition(running, { type: 'interrupt', reason: 'the bot restarted during step 1', stepInFlight: true }, T0);
    expect(cut.state.state).toBe('interrupted');
    expect(cut.effects).not.toContainEqual({ type: 'write-report' });
    const ended = gameDayTransition(cut.state, { type: 'step-ended', outcome: { index: 0, state: 'aborted', verdict: 'inconclusive', summary: 'recovered after restart' } }, T0);
    expect(ended.effects).toEqual([{ type: 'write-report' }]);
    expect(() => gameDayTransition(ended.state, { type: 'continue', actor: commander }, T0)).toThrow(expect.objectContaining({ code: 'illegal_transition' }));

    expect(gameDayTransition(record(), { type: 'expire' }, T0).state.state).toBe('expired');
    expect(gameDayTransition(record(), { type: 'reject', actor: bob, reason: 'not this week', authority }, T0).state.state).toBe('rejected');
    const approved = run(record(), [approve], T0).state;
    expect(() => gameDayTransition(approved, { type: 'continue', actor: commander }, T0 + policy.ttlMs + 1)).toThrow(expect.objectContaining({ code: 'approval_expired' }));
  });

  it('the card shows every step with its preview and the buttons that fit the state', () => {
    const proposed = gameDayCard(record(), { approvers: [bob.id] });
    expect(proposed.sections[0]).toContain('1. step 1 — kill on process app=checkout, radius one: 1 of 3 (checkout-1)');
    expect(proposed.buttons.map((b) => b.actionId)).toEqual(['gdapprove', 'gdreject']);
    const atCheckpoint = run(record(), [approve, ...startStep(0), held(0)]).state;
    expect(gameDayCard(atCheckpoint, { approvers: [] }).buttons.map((b) => b.actionId)).toEqual(['gdcontinue', 'gdhold', 'gdabort']);
    const ask = checkpointMessage(atCheckpoint, 1, [{ name: 'error-rate', status: 'ok', detail: '0.01 (limit > 0.05)' }]);
    expect(ask.title).toBe('Checkpoint before step 2 of 3');
    expect(ask.sections.join('\n')).toMatch(/Step 1 \(step 1\) completed, verdict held[\s\S]*error-rate: ok/);
  });
});
