import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { GameDayRecord } from '../../src/core/gameday-record.js';
import { alice, bob, carol, makeEngine, engineFactory, waitFor, type Engine } from './engine-harness.js';

/** alice proposes, bob approves, carol commands. */
function gameDayYaml(o: { name?: string; radii?: string[]; autoContinue?: 'never' | 'whenHeld'; duration?: string; commanderTimeout?: string } = {}): string {
  const radii = o.radii ?? ['one', 'count:2', 'percent:100'];
  return `
kind: GameDay
name: ${o.name ?? 'web-gameday'}
title: Web tier under growing latency
channel: '#gameday'
roles: { commander: carol, scribe: dave, observers: [erin] }
autoContinue: ${o.autoContinue ?? 'never'}
${o.commanderTimeout ? `commanderTimeout: ${o.commanderTimeout}\n` : ''}steps:
${radii.map((r) => `  - { playbook: web-latency, blastRadius: '${r}', duration: ${o.duration ?? '150ms'} }`).join('\n')}
`;
}

const engine = engineFactory({ gamedays: [gameDayYaml()] });
const chaos = (e: Engine, line: string, actor = alice) => dispatch(line, { actor, channel: '#gameday', engine: e.engine.facade, log: e.log }, commandRegistry());

const gd = (e: Engine, id: string): GameDayRecord => e.engine.gamedays.get(id).record;
const waitGd = (e: Engine, id: string, test: (r: GameDayRecord) => boolean, what: string, ms = 5000) => waitFor(`${id} ${what}`, () => test(gd(e, id)), ms);
const stepExperiments = (e: Engine, id: string) => e.service.list(50).filter((x) => x.record.gameDay?.id === id);

async function approved(e: Engine, name = 'web-gameday'): Promise<string> {
  const { record } = await e.engine.gamedays.propose({ name, actor: alice });
  await e.engine.gamedays.approve(record.id, bob);
  return record.id;
}

describe('game days in the engine', () => {
  it('three steps with continue at each checkpoint: every step runs as an approved experiment, all reverted, report written and posted', async () => {
    const e = engine();
    const id = await approved(e);
    expect(gd(e, id).state).toBe('approved');
    for (const step of [0, 1, 2]) {
      const reply = await chaos(e, `/chaos gameday continue ${id}`, carol);
      expect(reply.errorCode).toBeUndefined();
      await waitGd(e, id, (r) => r.state !== 'running', `to finish step ${step + 1}`);
    }
    expect(gd(e, id).state).toBe('completed');
    const steps = stepExperiments(e, id).map((x) => x.record).sort((a, b) => a.gameDay!.step - b.gameDay!.step);
    expect(steps.map((r) => [r.gameDay!.step, r.state, r.verdict, r.plan.targets.length])).toEqual([
      [0, 'completed', 'held', 1],
      [1, 'completed', 'held', 2],
      [2, 'completed', 'held', 4],
    ]);
    // Each step was approved on the game day's one approval (bob), proposed in alice's name, started by the commander.
    expect(steps.every((r) => r.approval?.by.id === 'bob' && r.proposedBy.id === 'alice' && r.startedBy?.id === 'carol')).toBe(true);
    expect(e.target.faults.size).toBe(0);
    expect(gd(e, id).decisions.map((d) => `${d.beforeStep}:${d.choice}:${d.by.id}`)).toEqual(['0:continue:carol', '1:continue:carol', '2:continue:carol']);
    await e.engine.gamedays.settle();
    const report = gd(e, id).reportPath;
    await waitFor('the report file', () => existsSync(report));
    expect(readFileSync(report, 'utf8')).toContain(id);
    await e.engine.notifier.flush();
    const transcript = e.chat.transcript();
    expect(transcript).toContain('Checkpoint before step 2 of 3');
    expect(transcript).toContain('Checkpoint before step 3 of 3');
    expect(transcript).toContain(report);
  });

  it('hold at a checkpoint, then continue; only the commander may, and the refusal is audited', async () => {
    const e = engine();
    const id = await approved(e);
    expect((await chaos(e, `/chaos gameday continue ${id}`, bob)).errorCode).toBe('gameday_role');
    expect(e.store.events({ kinds: ['refused'] }).at(-1)).toMatchObject({ experimentId: id, data: expect.objectContaining({ code: 'gameday_role' }) });
    expect(gd(e, id).state).toBe('approved');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to reach the checkpoint');
    expect((await chaos(e, `/chaos gameday hold ${id} the dashboards lag`, carol)).title).toContain('held before step 2');
    expect(gd(e, id).holdReason).toContain('the dashboards lag');
    await new Promise((r) => setTimeout(r, 100));
    expect(stepExperiments(e, id)).toHaveLength(1);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint' && r.next === 2, 'to finish step 2');
    expect(gd(e, id).decisions.map((d) => d.choice)).toEqual(['continue', 'hold', 'continue']);
  });

  it('an ordinary abort of a running step (or a halt) stops the whole day', async () => {
    const e = engine({ gamedays: [gameDayYaml({ duration: '5s' })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
    const step1 = gd(e, id).steps[0]!.experimentId!;
    await e.waitForPhase(step1, 'observing');
    await chaos(e, '/chaos halt stop everything', alice);
    await waitGd(e, id, (r) => r.state === 'aborted', 'to stop');
    await e.engine.runner.settle();
    expect(e.target.faults.size).toBe(0);
    expect(gd(e, id).closedBy?.reason).toContain('halt: stop everything');
    expect(stepExperiments(e, id)).toHaveLength(1);
  });

  it('abort at step 2 through the game day: reverted, step 3 never runs, report written', async () => {
    const e = engine({ gamedays: [gameDayYaml().replace("blastRadius: 'count:2', duration: 150ms", "blastRadius: 'count:2', duration: 10s")] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.steps[1]!.experimentId !== null, 'to start step 2');
    const step2 = gd(e, id).steps[1]!.experimentId!;
    await e.waitForPhase(step2, 'observing');
    expect(e.target.faultsOf(step2)).toHaveLength(1);
    const reply = await chaos(e, `/chaos gameday abort ${id} checkout alarms firing`, bob);
    expect(reply.title).toBe(`${id} aborted`);
    await e.waitForState(step2, 'aborted');
    await e.engine.gamedays.settle();
    expect(e.target.faults.size).toBe(0);
    const r = gd(e, id);
    expect(r.state).toBe('aborted');
    expect(r.closedBy).toMatchObject({ by: { id: 'bob' }, reason: 'checkout alarms firing' });
    expect(r.steps.map((s) => s.state)).toEqual(['completed', 'aborted', null]);
    expect(stepExperiments(e, id)).toHaveLength(2);
    await waitFor('the report', () => existsSync(r.reportPath));
    expect((await chaos(e, `/chaos gameday continue ${id}`, carol)).errorCode).toBe('illegal_transition');
  });

  it('a refuted step stops the day: the guardrail breach at step 2 aborts and reverts, step 3 never runs', async () => {
    const e = engine({ gamedays: [gameDayYaml({ autoContinue: 'whenHeld', duration: '400ms' })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.current === 1 && r.steps[1]!.experimentId !== null, 'to go on to step 2 by itself');
    // Once the fault is in: a guardrail already breaking at the pre-flight refuses the step instead.
    await e.waitForPhase(gd(e, id).steps[1]!.experimentId!, 'observing');
    e.signal.set('errors', 0.5);
    await waitGd(e, id, (r) => r.state === 'aborted', 'to stop on the breach');
    const r = gd(e, id);
    expect(r.steps[1]).toMatchObject({ state: 'aborted', verdict: 'refuted' });
    expect(r.closedBy?.reason).toContain('guardrail breached');
    expect(r.decisions.map((d) => d.choice)).toEqual(['continue', 'auto']);
    await e.engine.runner.settle();
    expect(e.target.faults.size).toBe(0);
    expect(stepExperiments(e, id)).toHaveLength(2);
  });

  it('a freeze makes the next step hold with the reason; Continue after the freeze runs it', async () => {
    const e = engine();
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
    const frz = await chaos(e, '/chaos freeze add now +1h payments deploy', bob);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held', 'to hold');
    expect(gd(e, id).holdReason).toMatch(/step 2\/3 .* could not start: chaos is frozen .*payments deploy/);
    // Refused before it was proposed: no experiment, no card for step 2 (test/engine/gameday-holds.test.ts looks at the chat).
    expect(stepExperiments(e, id).map((x) => x.record.state)).toEqual(['completed']);
    await chaos(e, `/chaos freeze remove ${/frz-[0-9a-f]+/.exec(frz.sections.join(' '))![0]}`, bob);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint' && r.next === 2, 'to run step 2');
    expect(gd(e, id).steps[1]!.verdict).toBe('held');
  });

  it('the ladder: a day that opens at a large radius is refused naming the step; one that starts small runs', async () => {
    const e = engine({ settings: { ladderWindowMs: 86_400_000 }, gamedays: [gameDayYaml({ name: 'too-big', radii: ['count:2'] }), gameDayYaml({ radii: ['one', 'count:2'] })] });
    const refused = await chaos(e, '/chaos gameday start too-big');
    expect(refused.errorCode).toBe('ladder');
    expect(refused.sections.join(' ')).toMatch(/step 1: .*blastRadius=one/);
    expect(e.engine.gamedays.list()).toHaveLength(0);
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'completed', 'to complete');
  });

  it('a step whose targets changed since approval waits for an approver, then runs the new plan', async () => {
    const e = engine({ gamedays: [gameDayYaml({ duration: '300ms' })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
    e.target.removeCandidate('web-4');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held', 'to hold on the drift');
    expect(gd(e, id).pendingApproval?.reason).toBeTruthy();
    expect((await chaos(e, `/chaos gameday continue ${id}`, carol)).errorCode).toBe('approval_plan_changed');
    expect((await chaos(e, `/chaos gameday approve ${id}`, alice)).errorCode).toBe('approval_self');
    expect((await chaos(e, `/chaos gameday approve ${id}`, bob)).errorCode).toBeUndefined();
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint' && r.next === 2, 'to run step 2');
  });

  it("when the day's approver is no longer an approver, the next step holds until another approver covers it", async () => {
    const e = engine();
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint', 'to finish step 1');
    e.settings.approval = { ...e.settings.approval, approvers: ['alice', 'carol'] };
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'held', 'to hold');
    expect(gd(e, id).holdReason).toContain('bob is not an approver');
    expect((await chaos(e, `/chaos gameday continue ${id}`, carol)).errorCode).toBe('approval_plan_changed');
    await chaos(e, `/chaos gameday approve ${id}`, carol);
    expect(gd(e, id).approval?.by.id).toBe('carol');
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'checkpoint' && r.next === 2, 'to run step 2');
    expect(e.service.get(gd(e, id).steps[1]!.experimentId!).record.approval?.by.id).toBe('carol');
  });

  it('autoContinue: whenHeld runs every held step without asking; a silent commander makes it hold', async () => {
    const e = engine({ gamedays: [gameDayYaml({ autoContinue: 'whenHeld' }), gameDayYaml({ name: 'quiet', autoContinue: 'whenHeld', commanderTimeout: '50ms', duration: '300ms' })] });
    const id = await approved(e);
    await chaos(e, `/chaos gameday continue ${id}`, carol);
    await waitGd(e, id, (r) => r.state === 'completed', 'to complete');
    expect(gd(e, id).decisions.map((d) => d.choice)).toEqual(['continue', 'auto', 'auto']);

    const quiet = await approved(e, 'quiet');
    await chaos(e, `/chaos gameday continue ${quiet}`, carol);
    await waitGd(e, quiet, (r) => r.state === 'held', 'to hold for the lost commander');
    expect(gd(e, quiet).holdReason).toMatch(/commander has not been seen/);
    await chaos(e, `/chaos gameday continue ${quiet}`, carol);
    await waitGd(e, quiet, (r) => r.current === 1 || r.next === 2, 'to go on');
  });

  it('a restart mid-step: the fault is reverted, the game day is interrupted, nothing runs twice', async () => {
    const e = makeEngine({ gamedays: [gameDayYaml({ duration: '30s' })] });
    try {
      const id = await approved(e);
      await chaos(e, `/chaos gameday continue ${id}`, carol);
      await waitGd(e, id, (r) => r.steps[0]!.experimentId !== null, 'to start step 1');
      const step1 = gd(e, id).steps[0]!.experimentId!;
      await e.waitForPhase(step1, 'observing');
      // The process dies: nothing is reverted, the store stays as it was.
      e.store.close();
      const again = makeEngine({ dir: e.dir, target: e.target, gamedays: [gameDayYaml({ duration: '30s' })] });
      try {
        expect(again.engine.gamedays.interruptRunning((n) => `the bot restarted during step ${n}`)).toEqual([id]);
        await again.reconcile();
        await again.engine.gamedays.settle();
        expect(again.target.faults.size).toBe(0);
        const r = again.engine.gamedays.get(id).record;
        expect(r.state).toBe('interrupted');
        expect(r.steps[0]).toMatchObject({ state: 'aborted', verdict: 'inconclusive' });
        expect(again.service.list(50).filter((x) => x.record.gameDay?.id === id)).toHaveLength(1);
        expect(existsSync(r.reportPath)).toBe(true);
        expect((await chaos(again, `/chaos gameday continue ${id}`, carol)).errorCode).toBe('illegal_transition');
        // A second start-up finds nothing to do.
        expect(again.engine.gamedays.interruptRunning(() => 'again')).toEqual([]);
      } finally {
        await again.close();
        again.cleanup();
      }
    } finally {
      e.cleanup();
    }
  });
});
