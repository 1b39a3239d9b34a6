import { describe, expect, it } from 'vitest';
import { carol, engineFactory, waitFor } from './engine-harness.js';

const engine = engineFactory({ settings: { targetTimeoutMs: 300 } });

describe('a target that never answers cannot hold an experiment hostage', () => {
  it('inject that hangs forever: counted as failed at the engine deadline, the run ends and settles', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    e.target.hangInject('forever');
    const id = await e.launch();
    await waitFor('inject to be called', () => e.target.injectCalls.length === 1);
    e.service.abort(id, carol, 'too slow to start');
    // The call never answers: settling at all is the engine's own deadline at work.
    await e.engine.runner.settle();
    expect(e.target.injectCalls[0]!.returnedAt).toBeUndefined();
    const r = e.service.get(id).record;
    expect(r.state).toBe('aborted');
    const failed = e.journal(id).find((j) => j.kind === 'inject-failed');
    expect(failed?.data.error).toMatch(/gave no answer within 300 ms/);
  });

  it('inject that hangs without an abort: inject_failed, state failed, nothing left behind', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    e.target.hangInject('forever');
    const id = await e.launch();
    await e.engine.runner.settle();
    const r = e.service.get(id).record;
    expect(r.state).toBe('failed');
    expect(r.failure).toMatch(/inject failed/);
    expect(e.target.faults.size).toBe(0);
  });

  it('revert that hangs forever: the run ends as failed at the deadline and names what is left', async () => {
    const e = engine({ playbooks: [{ duration: '5s' }] });
    const id = await e.launch();
    await e.waitForPhase(id, 'observing');
    e.target.hangRevert('forever');
    e.service.abort(id, carol, 'stop');
    await e.engine.runner.settle();
    expect(e.target.revertCalls.every((c) => c.outcome === undefined)).toBe(true); // still unanswered
    const r = e.service.get(id).record;
    expect(r.state).toBe('failed');
    expect(r.failure).toMatch(/no answer within 300 ms.*Left to undo by hand/);
    const failed = e.journal(id).find((j) => j.kind === 'revert-failed');
    expect(failed?.data.handleId).toMatch(/^fh-/);
  });
});
