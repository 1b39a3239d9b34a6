import { describe, expect, it } from 'vitest';
import { CANDIDATES, carol, engineFactory, waitFor } from './engine-harness.js';
import { MemoryTarget } from '../fakes/memory-target.js';

const engine = engineFactory();

describe('crash recovery (invariant 2: at start-up every fault whose experiment is not running is reverted)', () => {
  it('a new service on the same store and target reverts the running fault, aborts it as recovered, and reverts an unknown orphan', async () => {
    const target = new MemoryTarget(CANDIDATES);
    const link = target.link();
    const first = engine({ target, driver: link, playbooks: [{ duration: '10s' }] });
    const id = await first.launch();
    await first.waitForPhase(id, 'observing');
    const [fault] = first.target.faultsOf(id);
    expect(fault).toBeDefined();

    // The crash: the first process is gone. Nothing it sends reaches the target any more and its
    // store connection dies with it; the fault stays in the target and the record says observing.
    link.sever();
    first.store.close();
    first.target.plant({ handleId: 'fh-orphan01', experimentId: 'exp-0dead0', faultType: 'kill' });

    const second = engine({ dir: first.dir, target: first.target, signal: first.signal, playbooks: [{ duration: '10s' }] });
    expect(second.service.get(id).record.phase).toBe('observing');
    const report = await second.reconcile();

    expect(report.errors).toEqual([]);
    expect(report.recovered).toEqual([id]);
    expect(report.orphansReverted).toEqual([{ adapter: 'memory', handleId: 'fh-orphan01', experimentId: 'exp-0dead0' }]);
    expect(second.target.faults.size).toBe(0);
    expect(second.target.revertCalls.map((c) => c.handleId).sort()).toEqual([fault!.handleId, 'fh-orphan01'].sort());

    const r = second.service.get(id).record;
    expect(r.state).toBe('aborted');
    expect(r.abort?.reason).toBe('recovered after restart');
    expect(r.abort?.code).toBe('recovered');
    expect(r.verdict).toBe('inconclusive');
    expect(second.kinds(id)).toEqual(expect.arrayContaining(['revert-started', 'reverted', 'postcheck', 'verdict', 'postmortem']));
    expect(second.kinds('exp-0dead0')).toEqual(['reconcile-revert']);
    expect(second.store.verifyAudit().ok).toBe(true);

    // The dead runner ends without touching anything (its first write fails), and the record stands.
    await first.engine.runner.settle();
    expect(first.log.messages('error')).toContain('run crashed; aborting and reverting');
    expect(second.service.get(id).record.state).toBe('aborted');
    expect(second.store.verifyAudit().ok).toBe(true);
  });

  it('a crash between the target applying the fault and the journal saying so: reconcile finds it through listOwned', async () => {
    const target = new MemoryTarget(CANDIDATES);
    const link = target.link();
    const first = engine({ target, driver: link, playbooks: [{ duration: '10s' }] });
    first.target.hangInject(150);
    const id = await first.launch();
    await waitFor('inject to begin', () => first.target.injectCalls.length === 1);
    link.sever(); // dies while the call is in flight
    first.store.close();
    await waitFor('the target to apply the fault', () => first.target.faults.size === 1);
    await first.engine.runner.settle();

    const second = engine({ dir: first.dir, target: first.target, signal: first.signal });
    expect(second.kinds(id)).toContain('inject-intent');
    expect(second.kinds(id)).not.toContain('injected');
    expect(second.service.get(id).record.phase).toBe('injecting');
    const report = await second.reconcile();

    expect(report.recovered).toEqual([id]);
    expect(report.orphansReverted).toEqual([]); // reverted by the experiment's own revert, journaled under it
    expect(second.target.faults.size).toBe(0);
    expect(second.kinds(id)).toContain('reverted');
    expect(second.service.get(id).record.state).toBe('aborted');
    expect(second.store.verifyAudit().ok).toBe(true);
  });
});

describe('org-wide caps and the kill switch (invariants 1 and 5)', () => {
  it('one experiment per target, the concurrency cap, and a halt that survives a restart until resume', async () => {
    const playbooks = [
      { name: 'web-latency', service: 'web', duration: '10s' },
      { name: 'web-kill', service: 'web', fault: 'kill' as const, duration: '10s' },
      { name: 'db-latency', service: 'db', duration: '10s' },
      { name: 'cache-latency', service: 'cache', blastRadius: 'one', duration: '300ms' },
    ];
    const settings = { caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 2, maxDurationMs: 60_000 } };
    const e = engine({ playbooks, settings });

    const a = await e.launch('web-latency');
    const b = await e.proposeApproved('web-kill');
    const busy = await e.service.start(b, carol).then(() => null, (err: { code: string }) => err.code);
    expect(busy).toBe('target_busy');
    expect(e.service.get(b).record.state).toBe('approved');

    const c = await e.launch('db-latency');
    const d = await e.proposeApproved('cache-latency');
    const capped = await e.service.start(d, carol).then(() => null, (err: { code: string }) => err.code);
    expect(capped).toBe('concurrency_cap');
    await e.waitForPhase(a, 'observing');
    await e.waitForPhase(c, 'observing');
    expect(e.target.injectCalls.map((i) => i.experimentId).sort()).toEqual([a, c].sort());

    const aborted = e.service.halt(carol, 'incident in progress');
    expect(aborted.map((x) => x.record.id).sort()).toEqual([a, c].sort());
    await e.engine.runner.settle();
    for (const x of [a, c]) {
      expect(e.service.get(x).record.state).toBe('aborted');
      expect(e.service.get(x).record.abort?.code).toBe('halt');
    }
    expect(e.target.faults.size).toBe(0);
    const halted = await e.service.start(d, carol).then(() => null, (err: { code: string }) => err.code);
    expect(halted).toBe('halted');
    await e.close();

    // A restart keeps the halt: it lives in the store, not in memory.
    const e2 = engine({ dir: e.dir, target: e.target, signal: e.signal, playbooks, settings });
    expect((await e2.reconcile()).recovered).toEqual([]);
    const stillHalted = await e2.service.start(d, carol).then(() => null, (err: { code: string }) => err.code);
    expect(stillHalted).toBe('halted');
    expect(e2.target.injectCalls.filter((i) => i.experimentId === d)).toHaveLength(0);

    e2.service.resume(carol);
    await e2.service.start(d, carol);
    await e2.engine.runner.settle();
    expect(e2.service.get(d).record.state).toBe('completed');
    expect(e2.kinds(d).filter((k) => k === 'inject-intent')).toHaveLength(1);
    expect(e2.store.events({ kinds: ['halt', 'resume'] }).map((x) => [x.kind, x.actor])).toEqual([
      ['halt', 'carol'],
      ['resume', 'carol'],
    ]);
  });
});
