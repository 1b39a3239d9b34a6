import type { Clock } from '../../core/clock.js';
import type { SignalQuery } from '../../core/playbook.js';
import type { Reading, SignalSource } from '../../core/ports.js';
import { errorText } from '../../core/errors.js';

/**
 * Samples with a hard deadline of its own: a source that hangs or throws still yields `unknown`,
 * so a stuck signal can never stall the guardrail loop.
 */
export async function sampleSignal(signals: ReadonlyMap<string, SignalSource>, query: SignalQuery, clock: Clock, timeoutMs: number): Promise<Reading> {
  const source = signals.get(query.source);
  if (!source) return { status: 'unknown', reason: `no signal source "${query.source}"`, at: clock.now() };
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Reading>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ status: 'unknown', reason: `${source.describe(query)} gave no answer within ${timeoutMs} ms`, at: clock.now() });
    }, timeoutMs + 250);
  });
  try {
    const reading = await Promise.race([
      source.sample(query, { now: () => clock.now(), timeoutMs, signal: controller.signal }).catch(
        (err: unknown): Reading => ({ status: 'unknown', reason: errorText(err), at: clock.now() }),
      ),
      deadline,
    ]);
    if (reading.status === 'ok' && !Number.isFinite(reading.value)) return { status: 'unknown', reason: `non-finite value ${reading.value}`, at: reading.at };
    return reading;
  } finally {
    clearTimeout(timer);
  }
}

export function sampleAll(signals: ReadonlyMap<string, SignalSource>, queries: readonly SignalQuery[], clock: Clock, timeoutMs: number): Promise<Reading[]> {
  return Promise.all(queries.map((q) => sampleSignal(signals, q, clock, timeoutMs)));
}
