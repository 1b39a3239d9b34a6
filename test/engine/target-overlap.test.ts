import { describe, expect, it } from 'vitest';
import type { ResolvedTarget } from '../../src/core/ports.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { alice, bob, engineFactory, refusal } from './engine-harness.js';

/** One experiment per target, by resolved identity: disjoint runs side by side, overlapping ones refused with the overlap named. */

const engine = engineFactory();
const t = (id: string, service: string, within?: string[]): ResolvedTarget => ({ id, name: id.split('/').pop()!, kind: id.split('/')[0]!, attributes: { service, cluster: 'prod' }, ...(within ? { within } : {}) });
const cluster = () =>
  new MemoryTarget([
    t('node/node-a1', 'node-a1'),
    t('node/node-b1', 'node-b1'),
    t('pod/shop/web-1', 'web', ['node/node-a1', 'deployment/shop/web']),
    t('pod/shop/cart-1', 'cart', ['node/node-b1', 'deployment/shop/cart']),
  ]);

describe('one experiment per target, compared as targets', () => {
  it('runs a drain and an unrelated pod fault side by side, and refuses a pod fault on the drained node naming the overlap', async () => {
    const e = engine({
      target: cluster(),
      playbooks: [
        { name: 'drain-b1', service: 'node-b1', blastRadius: 'one', duration: '1500ms' },
        { name: 'web-kill', service: 'web', blastRadius: 'one', duration: '1500ms' },
        { name: 'cart-kill', service: 'cart', blastRadius: 'one', duration: '1500ms' },
      ],
    });
    const drain = await e.launch('drain-b1');
    const web = await e.launch('web-kill');
    expect([e.service.get(drain).record.state, e.service.get(web).record.state]).toEqual(['running', 'running']);

    const cart = await e.service.propose({ playbook: 'cart-kill', actor: alice });
    await e.service.approve(cart.record.id, bob);
    const busy = await refusal(e.service.start(cart.record.id, alice));
    expect(busy.code).toBe('target_busy');
    expect(busy.message).toBe(`memory:prod:pod/shop/cart-1 in memory:prod:node/node-b1 already under experiment ${drain}; one experiment per target at a time`);
    await e.engine.runner.settle();
    expect(e.service.get(drain).record.verdict).toBe('held');
    expect(e.service.get(web).record.verdict).toBe('held');
  });
});
