import type { AdapterLogger } from '../../../core/ports.js';
import { sleep } from '../../../lib/sleep.js';
import { describeKubeError, isTransient } from './kube-client.js';

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/**
 * Runs `step` until it succeeds, retrying 5xx, 409 (the step re-reads the object each time), 429
 * and calls that got no answer, with doubling waits. Anything else fails at once.
 */
export async function withRetry<T>(what: string, policy: RetryPolicy, log: AdapterLogger, signal: AbortSignal | undefined, step: () => Promise<T>): Promise<T> {
  let wait = policy.backoffMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (err) {
      if (!isTransient(err) || attempt >= policy.attempts || signal?.aborted) throw err;
      log.warn({ what, attempt, retryInMs: wait, err: describeKubeError(err) }, 'kubernetes call failed; retrying');
      await sleep(wait, signal);
      wait *= 2;
    }
  }
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of the results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
