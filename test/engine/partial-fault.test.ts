import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PARTIAL_NOTE, type PartialApplication, type TargetDriver } from '../../src/core/ports.js';
import { MemoryTarget } from '../fakes/memory-target.js';
import { messageText } from '../fakes/recording-chat.js';
import { CANDIDATES, engineFactory } from './engine-harness.js';

/** A fault the target applied only in part: said in the thread as it happens, and the run ends inconclusive saying why. */

const engine = engineFactory();
const partial: PartialApplication = { applied: 3, intended: 5, unit: 'pods', action: 'evicted', reason: 'PodDisruptionBudget cart-pdb' };

/** The memory target, but its inject reports (through a note, then the handle) that part of the fault did not go in. */
function partlyApplying(target: MemoryTarget): TargetDriver {
  return {
    kind: target.kind,
    faultTypes: target.faultTypes,
    schemas: target.schemas,
    preview: (t, c) => target.preview(t, c),
    async inject(f, targets, ctx) {
      const handle = await target.inject(f, targets, ctx);
      ctx.note(PARTIAL_NOTE, { ...partial, where: 'node node-b1' });
      return { ...handle, partial };
    },
    revert: (h, c) => target.revert(h, c),
    listOwned: (c) => target.listOwned(c),
    confirmReverted: (h, c) => target.confirmReverted(h, c),
  };
}

describe('a partly applied fault', () => {
  it('is said in the thread, shown on the card, and the run ends inconclusive with the reason; the post-mortem says it as sentences', async () => {
    const e = engine();
    const id = await e.launch();
    await e.engine.runner.settle();
    expect(e.service.get(id).record.verdict).toBe('held'); // the same run, fully applied

    const target = new MemoryTarget(CANDIDATES);
    const partialEngine = engine({ target, driver: partlyApplying(target) });
    const pid = await partialEngine.launch();
    await partialEngine.engine.runner.settle();

    const r = partialEngine.service.get(pid).record;
    expect(r).toMatchObject({ state: 'completed', verdict: 'inconclusive', partial });
    const replies = partialEngine.chat.delivered('reply').map((c) => messageText(c.msg));
    expect(replies.some((t) => t.includes(`${pid}: 2 of 5 pods not evicted: PodDisruptionBudget cart-pdb (node node-b1)`))).toBe(true);
    expect(replies.some((t) => t.includes('fault injected, but only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb)'))).toBe(true);
    expect(replies.some((t) => t.includes('completed, verdict: inconclusive (the fault went in only in part: only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb))'))).toBe(true);
    const lastCard = partialEngine.chat.calls.filter((c) => c.op === 'update' || c.op === 'post').at(-1)!;
    expect(messageText(lastCard.msg)).toContain('Partly applied: only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb)');

    const path = String(partialEngine.journal(pid).find((j) => j.kind === 'postmortem')?.data.path);
    const md = readFileSync(path, 'utf8');
    expect(md).toContain('The fault went in only in part (node node-b1): 2 of 5 pods not evicted: PodDisruptionBudget cart-pdb');
    expect(md).toContain('went in only in part (only 3 of 5 pods evicted (PodDisruptionBudget cart-pdb))');
    expect(md).not.toMatch(/adapter-note \{/);
  });
});
