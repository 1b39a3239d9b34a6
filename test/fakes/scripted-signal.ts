import { z } from 'zod';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { Reading, SampleContext, SignalSource } from '../../src/core/ports.js';

/**
 * One scripted answer: a number is an ok reading; the others misbehave the ways a real source does.
 * `hang` never answers and ignores the abort signal, so only the engine's own deadline saves it.
 */
export type Step = number | { throw: string } | { hang: true } | { unknown: string } | { slow: number; value: number };

export const THROW = (message = 'connection refused'): Step => ({ throw: message });
export const HANG: Step = { hang: true };
export const UNKNOWN = (reason = 'no data points'): Step => ({ unknown: reason });

/** Called with the 0-based call number for this key and the time; returns the step to play. */
export type StepFn = (n: number, now: number) => Step;

export const scriptedQuerySchema = z.looseObject({ source: z.literal('scripted'), key: z.string().min(1) });

interface Script {
  queue: Step[];
  then: StepFn;
  calls: number;
}

export interface SampleLog {
  key: string;
  n: number;
  at: number;
  step: Step;
}

/** A SignalSource whose answers are scripted per `key`: a queue first, then a function (or constant). */
export class ScriptedSignal implements SignalSource {
  readonly kind = 'scripted';
  readonly schema = scriptedQuerySchema;
  readonly samples: SampleLog[] = [];
  private readonly scripts = new Map<string, Script>();

  constructor(defaults: Record<string, number> = {}) {
    for (const [key, value] of Object.entries(defaults)) this.set(key, value);
  }

  /** Replaces the script of `key`: `queue` is played first, then `then` for every later call. */
  set(key: string, then: Step | StepFn, queue: Step[] = []): this {
    const fn: StepFn = typeof then === 'function' ? then : () => then;
    const prev = this.scripts.get(key);
    this.scripts.set(key, { queue: [...queue], then: fn, calls: prev?.calls ?? 0 });
    return this;
  }

  /** Appends to the queue of `key`, keeping its fallback. */
  queue(key: string, ...steps: Step[]): this {
    this.script(key).queue.push(...steps);
    return this;
  }

  calls(key: string): number {
    return this.scripts.get(key)?.calls ?? 0;
  }

  describe(query: SignalQuery): string {
    return `scripted:${String((query as { key?: unknown }).key)}`;
  }

  async sample(query: SignalQuery, ctx: SampleContext): Promise<Reading> {
    const key = String((query as { key?: unknown }).key);
    const script = this.script(key);
    const n = script.calls;
    script.calls += 1;
    const step = script.queue.length > 0 ? script.queue.shift()! : script.then(n, ctx.now());
    this.samples.push({ key, n, at: ctx.now(), step });
    if (typeof step === 'number') return { status: 'ok', value: step, at: ctx.now() };
    if ('throw' in step) throw new Error(step.throw);
    if ('hang' in step) return new Promise<Reading>(() => undefined);
    if ('unknown' in step) return { status: 'unknown', reason: step.unknown, at: ctx.now() };
    await new Promise((resolve) => setTimeout(resolve, step.slow));
    return { status: 'ok', value: step.value, at: ctx.now() };
  }

  private script(key: string): Script {
    let s = this.scripts.get(key);
    if (!s) {
      s = { queue: [], then: () => ({ unknown: `no script for ${key}` }), calls: 0 };
      this.scripts.set(key, s);
    }
    return s;
  }
}
