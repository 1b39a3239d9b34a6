import { formatBlastRadius } from '../../core/blast-radius-spec.js';
import { selectTargets } from '../../core/blast-radius.js';
import { FaultlineError, errorText } from '../../core/errors.js';
import { DEFAULT_BLIND_AFTER_MS } from '../../core/guardrails.js';
import type { Plan } from '../../core/experiment.js';
import { planHash } from '../../core/plan-hash.js';
import type { Experiment } from '../../core/playbook.js';
import type { AdapterLogger, ResolvedTarget, SignalSource, TargetDriver, TargetScope } from '../../core/ports.js';
import { heldIdentities } from '../../core/target-identity.js';
import type { EngineSettings } from '../engine-deps.js';
import { withDeadline } from './timing.js';

export interface BuiltPlan {
  plan: Plan;
  hash: string;
  protectedOut: string[];
  /** The spec as it runs: signals that read where the target is (pods) bound to the target's cluster. */
  spec: Experiment;
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
 * Binds every check and guardrail whose source follows the target (the pods signal reads a cluster)
 * to the experiment's place: the playbook's `target.cluster`, else the cluster the targets were found in.
 */
export function bindSignals(spec: Experiment, signals: ReadonlyMap<string, SignalSource>, scope: TargetScope | undefined): Experiment {
  const named = (spec.target as { cluster?: unknown }).cluster;
  const target = { adapter: spec.target.adapter, ...(typeof named === 'string' ? { cluster: named } : {}), ...(scope?.cluster ? { resolvedCluster: scope.cluster } : {}) };
  const bind = <S extends { source: string }>(signal: S): S => (signals.get(signal.source)?.followTarget?.(signal, target) as S | undefined) ?? signal;
  return {
    ...spec,
    steadyState: spec.steadyState.map((c) => ({ ...c, signal: bind(c.signal) })),
    guardrails: spec.guardrails.map((g) => ({ ...g, signal: bind(g.signal) })),
  };
}

/** The adapter's lines about what else the fault touches; a failure to tell is itself a line, never a refusal. */
async function impactOf(driver: TargetDriver, spec: Experiment, targets: readonly ResolvedTarget[], deps: { settings: EngineSettings; log: AdapterLogger }): Promise<string[] | undefined> {
  if (!driver.impact) return undefined;
  try {
    const lines = await withDeadline(`impact preview on ${driver.kind}`, deps.settings.targetTimeoutMs, 'adapter_error', (signal) => driver.impact!(spec.fault, targets, { log: deps.log, signal }));
    return lines.length > 0 ? lines : undefined;
  } catch (err) {
    return [`could not tell what else ${spec.fault.type} would touch: ${errorText(err)}`];
  }
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
  const population = driver.population
    ? await withDeadline(`population on ${driver.kind}`, deps.settings.targetTimeoutMs, 'adapter_error', (signal) => driver.population!(spec.target, { log: deps.log, signal }))
    : undefined;
  const selection = selectTargets(candidates, spec.target.blastRadius, deps.settings.caps, deps.settings.protection, seed, population !== undefined ? { population } : {});
  const scope = driver.describeTarget?.(spec.target, selection.selected);
  const bound = bindSignals(spec, deps.signals, scope);
  const impact = await impactOf(driver, spec, selection.selected, deps);
  const plan: Plan = {
    experiment: spec.name,
    adapter: spec.target.adapter,
    selector: spec.target.selector,
    blastRadius: formatBlastRadius(spec.target.blastRadius),
    candidates: selection.candidates,
    targets: selection.selected,
    fault: { type: spec.fault.type, parameters: spec.fault.parameters },
    durationMs: spec.fault.duration,
    guardrails: bound.guardrails.map((g) => ({
      name: g.name,
      signal: describeSignal(deps.signals, g.signal),
      comparison: g.comparison,
      threshold: g.threshold,
      forMs: g.for,
      maxUnknown: g.maxUnknown ?? spec.maxUnknown,
      blindAfterMs: g.blindAfter ?? deps.settings.blindAfterMs ?? DEFAULT_BLIND_AFTER_MS,
    })),
    steadyState: bound.steadyState.map((c) => ({ name: c.name, signal: describeSignal(deps.signals, c.signal), comparison: c.comparison, threshold: c.threshold })),
    seed,
    ...(scope ? { scope } : {}),
    ...(population !== undefined ? { population } : {}),
    ...(impact ? { impact } : {}),
  };
  return { plan, hash: planHash(plan), protectedOut: selection.protectedOut.map((t) => t.name), spec: bound };
}

/**
 * What one experiment holds while it runs, for the one-experiment-per-target rule: its resolved
 * targets (cluster, kind, namespace, name), never the selector text (see heldIdentities).
 */
export function heldTargetIds(plan: Plan): string[] {
  return heldIdentities(plan);
}
