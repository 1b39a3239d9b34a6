import { describe, expect, it } from 'vitest';
import { commandRegistry, dispatch } from '../../commands/index.js';
import type { Actor } from '../../src/core/actor.js';
import { alice, bob, engineFactory, mallory, type Engine } from './engine-harness.js';

const engine = engineFactory();

/** Everything a refused command must leave alone. */
const snapshot = (e: Engine) => ({
  experiments: e.store.experiments.list().map((x) => `${x.id}:${x.state}:${x.updatedAt}`),
  halt: e.store.settings.get('halt') ?? null,
  faults: e.target.faults.size,
  injects: e.target.injectCalls.length,
  chat: e.chat.calls.length,
});

describe('refusals through dispatch change nothing but one audit row (invariants 4 and 6)', () => {
  it.each<[string, (id: string) => string, Actor, string]>([
    ['an unknown experiment id', () => '/chaos approve exp-ffffff', bob, 'experiment_not_found'],
    ['a forged id with a path in it', () => '/chaos start exp-../../etc/passwd', alice, 'command_usage'],
    ['a forged id with SQL in it', () => `/chaos abort "exp-1234'; DROP TABLE experiments; --"`, alice, 'command_usage'],
    ['a duration in parsecs', () => '/chaos propose web-latency duration=10parsecs', alice, 'command_usage'],
    ['a blast radius of 500 %', () => '/chaos propose web-latency blastRadius=percent:500', alice, 'command_usage'],
    ['a duration over the cap', () => '/chaos propose web-latency duration=2h', alice, 'blast_radius_exceeded'],
    ['a non-approver approving (display name "bob" does not make him bob)', (id) => `/chaos approve ${id}`, mallory, 'approval_not_approver'],
    ['the proposer approving their own', (id) => `/chaos approve ${id}`, alice, 'approval_self'],
    ['the proposer under another display name', (id) => `/chaos approve ${id}`, { id: 'alice', team: 'T1', name: 'Alice again' }, 'approval_self'],
    ['starting what is not approved', (id) => `/chaos start ${id}`, bob, 'approval_missing'],
  ])('%s → coded refusal, one `refused` audit row, nothing else', async (_what, line, actor, code) => {
    const e = engine();
    const registry = commandRegistry();
    const { record } = await e.service.propose({ playbook: 'web-latency', actor: alice });
    await e.engine.notifier.flush();
    const text = line(record.id);
    const before = snapshot(e);
    const rows = e.store.events().length;

    const reply = await dispatch(text, { actor, channel: '#chaos', engine: e.engine.facade, log: e.log }, registry);
    await e.engine.runner.settle();
    await e.engine.notifier.flush();

    expect(reply.errorCode).toBe(code);
    expect(reply.ephemeral).toBe(true);
    expect([reply.title, ...reply.sections].join('\n')).not.toMatch(/\n\s+at .*\.ts:\d+/);
    const added = e.store.events().slice(rows);
    expect(added).toHaveLength(1);
    expect(added[0]!.kind).toBe('refused');
    expect(added[0]!.actor).toBe(actor.id);
    expect(added[0]!.data).toMatchObject({ code, text: text.trim() });
    expect(snapshot(e)).toEqual(before);
    expect(e.store.verifyAudit().ok).toBe(true);
  });
});
