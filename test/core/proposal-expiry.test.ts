import { describe, expect, it } from 'vitest';
import { transition } from '../../src/core/lifecycle.js';
import { makeRecord } from './fixtures.js';

describe('a proposal past its time', () => {
  it('can no longer be approved, even before the expiry sweep runs', () => {
    const r = makeRecord('proposed', null, { proposedAt: 1_000 });
    const policy = { approvers: ['bob'], ttlMs: 60_000, proposalTtlMs: 10_000 };
    expect(() => transition(r, { type: 'approve', actor: { id: 'bob' }, currentPlanHash: r.planHash, policy }, 11_000)).toThrow(/expired before it was approved/);
    expect(transition(r, { type: 'approve', actor: { id: 'bob' }, currentPlanHash: r.planHash, policy }, 10_999).state.state).toBe('approved');
  });
});
