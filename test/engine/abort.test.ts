import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alice, bob, carol, engineFactory, waitFor, type Engine } from './engine-harness.js';

const engine = engineFactory();

const postmortemPath = (e: Engine, id: string) => e.journal(id).find((j) => j.kind === 'postmortem')?.data.path as string | undefined;

describe('abort always wins (invariant 1)', () => {
  it('abort twice while observing: one revert, the first reason stands', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    expect(e.target.faultsOf(id)).toHaveLength(1);

    const first = e.service.abort(id, carol, 'customers are complaining');
    const second = e.service.abort(id, bob, 'me too');
    expect(first.record.phase).toBe('reverting');
    expect(second.record.phase).toBe('reverting');
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.by.id).toBe('carol');
    expect(r.abort?.reason).toBe('customers are complaining');
    expect(r.abort?.code).toBe('manual');
    expect(r.verdict).toBe('inconclusive');
    expect(e.target.revertCalls).toHaveLength(1);
    expect(e.kinds(id).filter((k) => k === 'reverted')).toHaveLength(1);
    expect(e.kinds(id).filter((k) => k === 'abort')).toHaveLength(2); // both are on the record
    expect(e.target.faults.size).toBe(0);
    expect(r.endedAt!).toBeLessThan(r.endsAt!); // the abort ended it, not the 5 s duration: it was over before its fault's end
  });

  it('abort during a slow inject: the fault is reverted as soon as inject returns, final state aborted', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    e.target.hangInject(300);
    const id = await e.launch();
    await waitFor('inject to be called', () => e.target.injectCalls.length === 1);
    expect(e.service.get(id).record.phase).toBe('injecting');
    e.service.abort(id, carol, 'wrong day');
    // The abort really landed mid-inject: the inject has not returned, nothing is reverted yet.
    expect(e.target.injectCalls[0]!.returnedAt).toBeUndefined();
    expect(e.target.revertCalls).toHaveLength(0);
    await e.engine.runner.settle();

    const call = e.target.injectCalls[0]!;
    expect(call.outcome).toBe('ok');
    expect(e.target.revertCalls).toHaveLength(1);
    expect(e.target.revertCalls[0]!.handleId).toBe(call.handleId);
    expect(e.target.revertCalls[0]!.at).toBeGreaterThanOrEqual(call.returnedAt!); // reverted what the late answer applied
    expect(e.target.faults.size).toBe(0);
    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.injectedAt).toBeNull(); // it never went on to observe
    expect(e.kinds(id)).not.toContain('reading');
    const k = e.kinds(id);
    expect(k.indexOf('injected')).toBeLessThan(k.indexOf('revert-started'));
  });

  it('abort while chat hangs forever: the revert still happens at once and the run finishes', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.chat.mode = 'hang';
    const returned = e.service.abort(id, carol, 'chat is down, stop anyway');
    // abort waits on nothing: it answers synchronously, already reverting, while every chat call hangs.
    expect(returned).not.toBeInstanceOf(Promise);
    expect(returned.record.phase).toBe('reverting');
    await waitFor('the fault to be gone', () => e.target.faults.size === 0, 1000);
    expect(e.chat.calls.filter((c) => c.outcome === 'ok' && c.at >= e.target.revertCalls[0]!.at)).toEqual([]);
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('aborted');
    expect(existsSync(postmortemPath(e, id)!)).toBe(true);
    expect(e.chat.calls.filter((c) => c.outcome === 'hung').length).toBeGreaterThan(0);
  });

  it('a chat that hangs from the first message never blocks propose, approve, start or abort', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    e.chat.mode = 'hang';
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.service.abort(id, alice, 'done');
    await waitFor('the fault to be gone', () => e.target.faults.size === 0, 1000);
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('aborted');
    // Not one chat call was ever answered, and the whole run went through regardless.
    expect(e.chat.calls.length).toBeGreaterThan(0);
    expect(e.chat.calls.every((c) => c.outcome === 'hung')).toBe(true);
  }, 5000);

  it('abort during a guardrail sample that hangs does not wait for the sample deadline', async () => {
    // A sample deadline longer than the test's own timeout: if abort waited on the sample, the test could not pass.
    const e = engine({ playbooks: [{ duration: '5s' }], settings: { signalTimeoutMs: 120_000 } });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    await waitFor('one reading', () => e.kinds(id).includes('reading'));
    e.signal.set('errors', { hang: true });
    await waitFor('the hanging sample', () => e.signal.samples.some((s) => s.key === 'errors' && typeof s.step === 'object'));
    const readings = e.kinds(id).filter((k) => k === 'reading').length;
    e.service.abort(id, carol, 'stop');
    await waitFor('the fault to be gone', () => e.target.faults.size === 0, 3000);
    await e.engine.runner.settle();
    expect(e.kinds(id).filter((k) => k === 'reading').length).toBe(readings); // the hung round never completed
  });
});
