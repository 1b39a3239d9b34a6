import { formatBlastRadius } from '../core/blast-radius-spec.js';
import { selectTargets } from '../core/blast-radius.js';
import { scopeOf } from '../core/ladder.js';
import { FaultlineError } from '../core/errors.js';
import { DEFAULT_BLIND_AFTER_MS } from '../core/guardrails.js';
import type { Plan } from '../core/experiment.js';
import { planHash } from '../core/plan-hash.js';
import type { Experiment } from '../core/playbook.js';
import type { AdapterLogger, SignalSource, TargetDriver } from '../core/ports.js';
import type { EngineSettings } from './engine-deps.js';
import { withDeadline } from './timing.js';

export interface BuiltPlan {
  plan: Plan;
  hash: string;
  protectedOut: string[];
}

export function driverFor(targets: ReadonlyMap<string, TargetDriver>, adapter: string): TargetDriver {
  const driver = targets.get(adapter);
  if (!driver) throw new FaultlineError('adapter_unknown', `no target adapter "${adapter}" is configured; known: ${[...targets.keys()].join(', ')}`, { adapter });
  return driver;
}

function describeSignal(signals: ReadonlyMap<string, SignalSource>, signal: { source: string }): string {
  return signals.get(signal.source)?.describe(signal as never) ?? signal.source;
}

/**
 * Resolves exactly what the experiment would hit now. Called at propose, at approve and again at
 * start: the same seed over the same candidates gives the same plan, so any drift changes the hash.
 */
export async function buildPlan(
  spec: Experiment,
  seed: number,
  deps: { targets: ReadonlyMap<string, TargetDriver>; signals: ReadonlyMap<string, SignalSource>; settings: EngineSettings; log: AdapterLogger },
): Promise<BuiltPlan> {
  const driver = driverFor(deps.targets, spec.target.adapter);
  if (spec.fault.duration > deps.settings.caps.maxDurationMs) {
    throw new FaultlineError('blast_radius_exceeded', `fault duration ${spec.fault.duration} ms is over the cap of ${deps.settings.caps.maxDurationMs} ms`, {
      durationMs: spec.fault.duration,
    });
  }
  const candidates = await withDeadline(`preview on ${driver.kind}`, deps.settings.targetTimeoutMs, 'adapter_error', (signal) => driver.preview(spec.target, { log: deps.log, signal }));
  const selection = selectTargets(candidates, spec.target.blastRadius, deps.settings.caps, deps.settings.protection, seed);
  const plan: Plan = {
    experiment: spec.name,
    adapter: spec.target.adapter,
    selector: spec.target.selector,
    blastRadius: formatBlastRadius(spec.target.blastRadius),
    candidates: selection.candidates,
    targets: selection.selected,
    fault: { type: spec.fault.type, parameters: spec.fault.parameters },
    durationMs: spec.fault.duration,
    guardrails: spec.guardrails.map((g) => ({
      name: g.name,
      signal: describeSignal(deps.signals, g.signal),
      comparison: g.comparison,
      threshold: g.threshold,
      forMs: g.for,
      maxUnknown: g.maxUnknown ?? spec.maxUnknown,
      blindAfterMs: g.blindAfter ?? deps.settings.blindAfterMs ?? DEFAULT_BLIND_AFTER_MS,
    })),
    steadyState: spec.steadyState.map((c) => ({ name: c.name, signal: describeSignal(deps.signals, c.signal), comparison: c.comparison, threshold: c.threshold })),
    seed,
  };
  return { plan, hash: planHash(plan), protectedOut: selection.protectedOut.map((t) => t.name) };
}

/** What one experiment holds while it runs, for the one-experiment-per-target rule. */
export function heldTargetIds(plan: Plan): string[] {
  return [scopeOf(plan), ...plan.targets.map((t) => `${plan.adapter}:${t.id}`)];
}
