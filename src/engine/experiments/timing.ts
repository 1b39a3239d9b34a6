import { FaultlineError, type ErrorCode } from '../../core/errors.js';
import { sleep } from '../../lib/sleep.js';

/** Resolves with `p`'s value, or with undefined as soon as `signal` fires (whichever comes first). */
export function untilWoken<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const woken = () => resolve(undefined);
    signal.addEventListener('abort', woken, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', woken));
  });
}

/** How a call that outlived its deadline settled in the end. */
export type LateOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs a target call with a hard time limit of the engine's own: an adapter that never answers
 * cannot hold an experiment (or shutdown) hostage. The call gets an AbortSignal that fires at the
 * limit, so adapters that honour it stop their work too. A call that passes the limit is not
 * forgotten: when it settles after all, `onLate` hears how (a request applied, its answer slow),
 * so what it did can be undone.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  code: ErrorCode,
  call: (signal: AbortSignal) => Promise<T>,
  onLate?: (outcome: LateOutcome<T>) => void,
  onTimeout?: () => void,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      onTimeout?.();
      reject(new FaultlineError(code, `${what} gave no answer within ${ms} ms`, { timeoutMs: ms }));
    }, ms);
  });
  const running = call(controller.signal);
  running.then(
    (value) => {
      if (timedOut) onLate?.({ ok: true, value });
    },
    (error: unknown) => {
      if (timedOut) onLate?.({ ok: false, error });
    },
  );
  try {
    return await Promise.race([running, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `clock` reads `at`, or less if `signal` fires first. Sleeps in steps of at most
 * `stepMs` and reads the clock again after each, so a clock that jumps ahead ends the wait promptly.
 */
export async function sleepUntil(at: number, clock: { now(): number }, signal?: AbortSignal, stepMs = 250): Promise<void> {
  for (;;) {
    const remaining = at - clock.now();
    if (remaining <= 0 || signal?.aborted) return;
    await sleep(Math.min(remaining, stepMs), signal);
  }
}
