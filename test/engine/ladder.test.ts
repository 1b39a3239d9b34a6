import { describe, expect, it } from 'vitest';
import { dispatch, commandRegistry } from '../../commands/index.js';
import { alice, bob, engineFactory } from './engine-harness.js';

const engine = engineFactory();

describe('start small, through the engine and /chaos history', () => {
  it('refuses the bigger run until the smaller one held, then allows it; history shows the growth', async () => {
    const e = engine({ settings: { ladderWindowMs: 30 * 86_400_000 } });
    await expect(e.service.propose({ playbook: 'web-latency', actor: alice })).rejects.toMatchObject({ code: 'ladder', message: expect.stringContaining('blastRadius=one first') });

    const small = await e.service.propose({ playbook: 'web-latency', overrides: { blastRadius: 'one' }, actor: alice });
    await e.service.approve(small.record.id, bob);
    await e.service.start(small.record.id, alice);
    await e.engine.runner.settle();
    expect(e.service.get(small.record.id).record.verdict).toBe('held');

    const big = await e.service.propose({ playbook: 'web-latency', actor: alice });
    expect(big.record.plan.targets).toHaveLength(2);

    const reply = await dispatch('/chaos history service=web', { actor: alice, channel: '#chaos', engine: e.engine.facade, log: e.log }, commandRegistry());
    const text = reply.sections.join('\n');
    expect(text).toContain('memory:service=web: largest radius that held: one (1 of 4');
    expect(text).toContain(small.record.id);
  });
});
