import { describe, expect, it } from 'vitest';
import { memoryTarget } from '../fakes/memory-target.js';
import { ShiftedClock } from '../fakes/shifted-clock.js';
import { alice, bob, carol, engineFactory, refusal, type Engine } from './engine-harness.js';

const engine = engineFactory();

const transitionsOf = (e: Engine, id: string, event: string) => e.journal(id).filter((j) => j.kind === 'transition' && j.data.event === event);

describe('approval binds to the plan (invariant 4)', () => {
  it('plan drift: a new candidate voids approval before it is given, and voids it again between approve and start', async () => {
    const e = engine();
    const { record } = await e.service.propose({ playbook: 'web-latency', actor: alice });
    expect(record.plan.targets).toHaveLength(2); // percent:50 of web-1..4

    e.target.addCandidate(memoryTarget('web-5', { service: 'web', namespace: 'shop' }));
    const r1 = await refusal(e.service.approve(record.id, bob));
    expect(r1.code).toBe('approval_plan_changed');
    expect(e.service.get(record.id).record.state).toBe('proposed');
    expect(transitionsOf(e, record.id, 'approve')).toHaveLength(0);

    // The same seed over the new candidate set really selects differently (3 of 5, not 2 of 4).
    const fresh = await e.service.propose({ playbook: 'web-latency', actor: alice });
    expect(fresh.record.plan.targets).toHaveLength(3);
    await e.service.approve(fresh.record.id, bob);
    expect(e.service.get(fresh.record.id).record.state).toBe('approved');

    e.target.removeCandidate('web-5');
    const r2 = await refusal(e.service.start(fresh.record.id, alice));
    expect(r2.code).toBe('approval_plan_changed');
    await e.engine.runner.settle();
    expect(e.service.get(fresh.record.id).record.state).toBe('approved');
    expect(e.target.injectCalls).toHaveLength(0);
    expect(e.kinds(fresh.record.id)).not.toContain('inject-intent');
    expect(e.engine.runner.isBusy()).toBe(false);
  });

  it('a protected target appearing after approval changes the plan, so start is refused and it is never touched', async () => {
    const e = engine({ settings: { protection: { namespaces: ['kube-system'], labels: ['faultline.dev/protected=true'], names: ['web-9'] } } });
    const id = await e.proposeApproved();
    e.target.addCandidate(memoryTarget('web-9', { service: 'web', namespace: 'shop' }));
    expect((await refusal(e.service.start(id, alice))).code).toBe('approval_plan_changed');

    // A selected target that gains the protection label: the selection itself changes.
    const e2 = engine();
    const id2 = await e2.proposeApproved();
    const selected = e2.service.get(id2).record.plan.targets.map((t) => t.id);
    e2.target.setAttribute(selected[0]!, 'faultline.dev/protected', 'true');
    expect((await refusal(e2.service.start(id2, alice))).code).toBe('approval_plan_changed');

    // A fresh proposal leaves it out and says so in the journal.
    const again = await e2.service.propose({ playbook: 'web-latency', actor: alice });
    expect(again.record.plan.targets.map((t) => t.id)).not.toContain(selected[0]);
    expect(e2.journal(again.record.id).find((j) => j.kind === 'proposed')?.data.protectedOut).toEqual([selected[0]]);

    await e.engine.runner.settle();
    await e2.engine.runner.settle();
    expect(e.target.injectCalls).toHaveLength(0);
    expect(e2.target.injectCalls).toHaveLength(0);
  });

  it('approvals and proposals expire: start is refused approval_expired, expireStale closes both', async () => {
    const clock = new ShiftedClock();
    const e = engine({ clock, settings: { approval: { approvers: ['alice', 'bob', 'carol'], ttlMs: 1000 }, proposalTtlMs: 5000 } });
    const id = await e.proposeApproved();
    clock.advance(1000);
    const r = await refusal(e.service.start(id, alice));
    expect(r.code).toBe('approval_expired');
    expect(e.service.get(id).record.state).toBe('approved');
    expect(e.target.injectCalls).toHaveLength(0);

    const stale = (await e.service.propose({ playbook: 'web-latency', actor: alice })).record.id;
    clock.advance(4000);
    const young = (await e.service.propose({ playbook: 'web-latency', actor: alice })).record.id;
    clock.advance(1001); // stale is now 5001 ms old, young 1001 ms
    expect(e.service.expireStale().sort()).toEqual([id, stale].sort());
    expect(e.service.get(id).record.state).toBe('expired');
    expect(e.service.get(id).record.closedBy?.reason).toBe('approval expired before start');
    expect(e.service.get(stale).record.state).toBe('expired');
    expect(e.service.get(stale).record.closedBy?.reason).toBe('proposal expired without approval');
    expect(e.service.get(young).record.state).toBe('proposed');
    // An expired one stays expired: neither approve nor start can bring it back.
    expect((await refusal(e.service.start(id, alice))).code).toBe('illegal_transition');
    expect((await refusal(e.service.approve(stale, bob))).code).toBe('illegal_transition');
    expect(e.service.expireStale()).toEqual([]);
  });

  it('double clicks: two approvers at once give one approval; two starts at once give one run and one fault', async () => {
    const e = engine();
    const { record } = await e.service.propose({ playbook: 'web-latency', actor: alice });
    const approvals = await Promise.allSettled([e.service.approve(record.id, bob), e.service.approve(record.id, carol)]);
    expect(approvals.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    const rejected = approvals.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason.code).toBe('illegal_transition');
    expect(transitionsOf(e, record.id, 'approve')).toHaveLength(1);
    expect(e.service.get(record.id).record.approval?.by.id).toBe('bob');

    const starts = await Promise.allSettled([e.service.start(record.id, alice), e.service.start(record.id, bob)]);
    expect(starts.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const refused = starts.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(refused.map((s) => s.reason.code)).toEqual(['illegal_transition']);
    await e.engine.runner.settle();
    expect(transitionsOf(e, record.id, 'start')).toHaveLength(1);
    expect(e.target.injectCalls).toHaveLength(1);
    expect(e.kinds(record.id).filter((k) => k === 'inject-intent')).toHaveLength(1);
    expect(e.service.get(record.id).record.state).toBe('completed');
    expect(e.target.faults.size).toBe(0);
  });
});
