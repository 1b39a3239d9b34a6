import type { Clock } from '../../src/core/clock.js';

/** Real time plus an offset the test can push forward: timers keep working, and expiry can be jumped to. */
export class ShiftedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}
