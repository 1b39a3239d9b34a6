import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageToBlocks, SLACK_LIMITS } from '../../src/adapters/chat/slack/blocks.js';
import { experimentCard } from '../../src/core/experiment-card.js';
import { approverMentions, mentionGroup } from '../../src/core/mention.js';
import { makePlan, makeRecord, target, T0, MIN } from '../core/fixtures.js';

/**
 * One experiment card as Slack receives it, kept in test/fixtures/slack-card.json so it can be opened
 * in Block Kit Builder (app.slack.com/block-kit-builder, "Message"): a running sandbox experiment,
 * 60 % of requests answering 503 on 2 of 3 checkout replicas, with its guardrails' live readings.
 */
describe('the experiment card as Block Kit', () => {
  it('reads as a person would say it, mentions people, and stays within Slack\'s limits', () => {
    const plan = makePlan({
      experiment: 'checkout-errors',
      candidates: 3,
      blastRadius: 'count:2',
      targets: [target('checkout-1', { service: 'checkout' }), target('checkout-2', { service: 'checkout' })],
      fault: { type: 'http-error', parameters: { status: 503, percent: 60 } },
      durationMs: 30_000,
      guardrails: [
        { name: 'checkout error rate', signal: 'http', comparison: '>', threshold: 0.2, forMs: 10_000, maxUnknown: 3 },
        { name: 'checkout p99 latency', signal: 'http', comparison: '>', threshold: 800, forMs: 10_000, maxUnknown: 3 },
      ],
      steadyState: [{ name: 'checkout p99 under 300 ms', signal: 'http', comparison: '<', threshold: 300 }],
    });
    const record = makeRecord('running', 'observing', {
      id: 'exp-3f9c1a',
      name: 'checkout-errors',
      plan,
      proposedBy: { id: 'U0ALICE', name: 'Alice' },
      approval: { by: { id: 'U0BOB', team: 'T0001', name: 'Bob' }, at: T0 + MIN, planHash: 'a'.repeat(64), expiresAt: T0 + 60 * MIN },
      injectedAt: T0 + 2 * MIN,
      endsAt: T0 + 2 * MIN + 30_000,
    });
    const approvers = approverMentions(['U0ALICE', 'U0BOB', mentionGroup('S0SRE', 'members of user group S0SRE')], 'U0ALICE');
    const card = experimentCard(record, {
      title: 'Checkout answers 503 on two replicas',
      hypothesis: 'If 60 % of requests to two of three checkout replicas fail with 503, retries keep the error rate seen by users under 20 %.',
      approvers,
      now: T0 + 2 * MIN + 12_000,
      guardrails: [
        { name: 'checkout error rate', status: 'ok', detail: '0.04 (limit 0.2)' },
        { name: 'checkout p99 latency', status: 'pending', detail: '912 above 800 for 4 s of 10 s' },
      ] as never,
    });
    const out = messageToBlocks(card);
    const json = JSON.stringify(out.blocks);
    expect(out.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(json).toContain('Checkout answers 503 on two replicas');
    expect(json).toContain('60 % of requests answer 503 on 2 of 3 checkout replicas for 30 s');
    expect(json).toContain('<@U0ALICE>');
    expect(json).toContain('<@U0BOB>');
    expect(json).toContain('aborts if above 0.2 for 10 s');
    expect(json).toContain('"action_id":"abort"');
    expect(json).not.toMatch(/[\u{E000}-\u{E002}]/u);
    writeFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'slack-card.json'), `${JSON.stringify({ blocks: out.blocks }, null, 2)}\n`);
  });
});
