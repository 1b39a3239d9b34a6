import { describe, expect, it } from 'vitest';
import { FAULT_ENDED_NOTE, type TargetContext, type TargetDriver } from '../../src/core/ports.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { CANDIDATES, engineFactory } from './engine-harness.js';

const engine = engineFactory();

/** The memory target, with the `note` of the last inject kept so the test can speak for the target later. */
function targetThatCanEnd(): { target: MemoryTarget; driver: TargetDriver; end: (data: Record<string, unknown>) => void } {
  const target = new MemoryTarget(CANDIDATES);
  let note: TargetContext['note'] | undefined;
  const driver = new Proxy(target, {
    get(t, prop) {
      if (prop === 'inject') {
        return (fault: Parameters<TargetDriver['inject']>[0], targets: Parameters<TargetDriver['inject']>[1], ctx: TargetContext) => {
          note = ctx.note;
          return t.inject(fault, targets, ctx);
        };
      }
      const v = Reflect.get(t, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  }) as TargetDriver;
  return { target, driver, end: (data) => note!(FAULT_ENDED_NOTE, data) };
}

describe('a fault that ends by itself (a FIS experiment completing, stopping or failing)', () => {
  it('completed: the observation ends now, the run reverts and post-checks, and the thread says why', async () => {
    const t = targetThatCanEnd();
    const e = engine({ target: t.target, driver: t.driver, playbooks: [{ duration: '30s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    t.end({ state: 'completed', reason: 'FIS experiment EXP1 completed' });
    // The phase moves on the spot: nothing waits for the 30 s duration.
    expect(e.service.get(id).record.phase).toBe('reverting');
    await e.engine.runner.settle();
    await e.engine.notifier.flush();

    const r = e.service.get(id).record;
    expect(r.state).toBe('completed');
    expect(r.verdict).toBe('held');
    expect(r.abort).toBeNull();
    expect(r.endedAt!).toBeLessThan(r.endsAt!);
    expect(t.target.revertCalls).toHaveLength(1);
    expect(e.kinds(id)).toContain('fault-ended');
    expect(e.chat.transcript()).toContain('the fault ended by itself (completed): FIS experiment EXP1 completed');
  });

  it.each(['stopped', 'failed'] as const)('%s: the run is aborted with code fault_ended and the reason, and reverted', async (state) => {
    const t = targetThatCanEnd();
    const e = engine({ target: t.target, driver: t.driver, playbooks: [{ duration: '30s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    t.end({ state, reason: `FIS experiment EXP1 ${state}: stop condition alarm web-5xx` });
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort).toMatchObject({ code: 'fault_ended', by: { id: 'faultline' } });
    expect(r.abort?.reason).toContain(`${state} by itself: FIS experiment EXP1 ${state}`);
    expect(r.verdict).toBe('inconclusive');
    expect(t.target.revertCalls).toHaveLength(1);
    expect(t.target.faults.size).toBe(0);
  });

  it('after the run reverted, a late "ended" changes nothing; an unreadable one is logged and ignored', async () => {
    const t = targetThatCanEnd();
    const e = engine({ target: t.target, driver: t.driver, playbooks: [{ duration: '30s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    t.end({ state: 'exploded' });
    expect(e.service.get(id).record.phase).toBe('observing');
    expect(e.log.messages('warn')).toContain('the target said the fault ended, in an unreadable shape');
    e.service.abort(id, { id: 'carol', team: 'T1' }, 'done for today');
    await e.engine.runner.settle();
    t.end({ state: 'completed', reason: 'too late' });
    await e.engine.notifier.flush();
    const r = e.service.get(id).record;
    expect(r.abort?.code).toBe('manual');
    expect(e.kinds(id)).not.toContain('fault-ended');
  });
});
