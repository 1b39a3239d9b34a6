import type { EngineDeps } from '../engine/engine-deps.js';

export type TransitionHook = NonNullable<EngineDeps['onTransition']>;

/**
 * The engine takes one `onTransition`; this makes one of several (PagerDuty's change events,
 * Grafana's annotations, …), called in the order given. Each is called even when one before it
 * throws; the first error is rethrown afterwards (all of them, in an AggregateError, when several
 * threw) for the engine to log. Undefined when none is given, so the engine gets no hook at all.
 */
export function combineTransitions(...hooks: ReadonlyArray<TransitionHook | undefined>): TransitionHook | undefined {
  const present = hooks.filter((h): h is TransitionHook => h !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return (before, after, card) => {
    const errors: unknown[] = [];
    for (const hook of present) {
      try {
        hook(before, after, card);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} transition hooks failed`);
  };
}
