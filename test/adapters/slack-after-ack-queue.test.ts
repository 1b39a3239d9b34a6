import { describe, expect, it } from 'vitest';
import { AfterAckQueue } from '../../src/adapters/chat/slack/after-ack-queue.js';

describe('the after-ack queue', () => {
  it('runs at most `concurrency` items at once, in order, and drains', async () => {
    const q = new AfterAckQueue(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      q.push(async () => {
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 10));
        active--;
      });
    }
    expect(await q.drain(2000)).toBe(true);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reports a failing item and goes on; drain gives up at its time limit', async () => {
    const errors: unknown[] = [];
    const q = new AfterAckQueue(1, (e) => errors.push(e));
    q.push(async () => {
      throw new Error('boom');
    });
    q.push(() => new Promise((r) => setTimeout(r, 300)));
    expect(await q.drain(50)).toBe(false);
    expect(await q.drain(1000)).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
