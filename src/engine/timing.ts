import { FaultlineError, type ErrorCode } from '../core/errors.js';

/** Resolves with `p`'s value, or with undefined as soon as `signal` fires (whichever comes first). */
export function untilWoken<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const woken = () => resolve(undefined);
    signal.addEventListener('abort', woken, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', woken));
  });
}

/**
 * Runs a target call with a hard time limit of the engine's own: an adapter that never answers
 * cannot hold an experiment (or shutdown) hostage. The call gets an AbortSignal that fires at the
 * limit, so adapters that honour it stop their work too.
 */
export async function withDeadline<T>(what: string, ms: number, code: ErrorCode, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new FaultlineError(code, `${what} gave no answer within ${ms} ms`, { timeoutMs: ms }));
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), limit]);
  } finally {
    clearTimeout(timer);
  }
}
