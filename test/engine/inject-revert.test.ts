import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { engineFactory } from './engine-harness.js';

const engine = engineFactory();

describe('nothing is injected that cannot be reverted (invariant 2)', () => {
  it('inject that throws after applying: the runner finds the fault through listOwned and reverts it; final state failed', async () => {
    const e = engine();
    e.target.failInject({ times: 1, when: 'apply', message: 'socket hang up' });
    const id = await e.launch();
    await e.engine.runner.settle();

    const call = e.target.injectCalls[0]!;
    expect(call.outcome).toBe('error');
    expect(e.target.listOwnedCalls).toBeGreaterThanOrEqual(1);
    expect(e.target.revertCalls.map((c) => c.handleId)).toEqual([call.handleId]);
    expect(e.target.faults.size).toBe(0);

    const r = e.service.get(id).record;
    expect(r.state).toBe('failed');
    expect(r.verdict).toBe('inconclusive');
    expect(r.failure).toContain('socket hang up');
    const k = e.kinds(id);
    expect(k).toContain('inject-failed');
    expect(k).not.toContain('injected');
    expect(k.indexOf('inject-intent')).toBeLessThan(k.indexOf('inject-failed'));
    expect(k.indexOf('inject-failed')).toBeLessThan(k.indexOf('reverted'));
    const intent = e.journal(id).find((j) => j.kind === 'inject-intent')!;
    expect(intent.data.handleId).toBe(call.handleId); // the intent names what the target holds
    expect(intent.data.expiresAt).toBeTypeOf('number');
  });

  it('inject that throws before applying leaves nothing behind and still ends failed, not running', async () => {
    const e = engine();
    e.target.failInject({ times: 1, when: 'before' });
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('failed');
    expect(e.target.revertCalls).toHaveLength(0);
    expect(e.target.faults.size).toBe(0);
  });

  it('revert that fails every time: state failed, the thread names what is left to undo by hand, journal has revert-failed', async () => {
    const e = engine();
    e.target.failRevert({ times: Infinity, message: 'admin API 500' });
    const id = await e.launch();
    await e.engine.runner.settle();

    const r = e.service.get(id).record;
    const names = r.plan.targets.map((t) => t.name);
    expect(r.state).toBe('failed');
    expect(r.verdict).toBe('inconclusive');
    expect(e.target.faultsOf(id)).toHaveLength(1); // really still there
    expect(e.kinds(id)).toContain('revert-failed');
    expect(e.kinds(id)).not.toContain('reverted');

    const replies = e.chat.delivered('reply').map((c) => [c.msg.title ?? '', ...c.msg.sections].join('\n'));
    const handWork = replies.find((t) => t.includes('Left to undo by hand'));
    expect(handWork).toBeDefined();
    expect(handWork).toContain(`latency on ${names.join(', ')}`);
    expect(handWork).toContain('admin API 500');
    expect(handWork).toContain('A person must undo it by hand');
    expect(handWork).not.toContain('revert failed: revert failed');

    const draft = e.journal(id).find((j) => j.kind === 'postmortem')!.data.path as string;
    expect(existsSync(draft)).toBe(true);
    expect(readFileSync(draft, 'utf8')).toContain(id);
  });

  it('a revert that failed is retried by reconcile at the next start-up', async () => {
    const e = engine();
    e.target.failRevert({ times: 1 });
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.state).toBe('failed');
    expect(e.target.faultsOf(id)).toHaveLength(1);

    const report = await e.reconcile();
    expect(report.orphansReverted.map((o) => o.experimentId)).toEqual([id]);
    expect(e.target.faults.size).toBe(0);
    expect(e.kinds(id)).toContain('reconcile-revert');
  });
});
