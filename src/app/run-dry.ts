import { systemClock } from '../core/clock.js';
import { errorText, isFaultlineError } from '../core/errors.js';
import type { Experiment } from '../core/playbook.js';
import type { AdapterLogger, FaultSpec, ResolvedTarget, SignalSource, TargetDriver } from '../core/ports.js';
import type { EngineSettings } from '../engine/engine-deps.js';
import { buildPlan, driverFor, type BuiltPlan } from '../engine/experiments/plan-builder.js';
import { withDeadline } from '../engine/experiments/timing.js';
import { sampleSignal } from '../engine/guards/sample-signals.js';
import { createLogger } from './logger.js';

export interface DryRun {
  lines: string[];
  /** What would stop the run; none: it would run. */
  problems: string[];
}

/**
 * The target's own answer, per permission, to "may the bot make the calls this fault needs" (a
 * line each); a denied one is a problem, one the target cannot check beforehand only a line.
 */
async function checkAccess(driver: TargetDriver, fault: FaultSpec, targets: readonly ResolvedTarget[], settings: EngineSettings, log: AdapterLogger, out: DryRun): Promise<void> {
  if (!driver.checkAccess || targets.length === 0) return;
  try {
    const checks = await withDeadline(`permission check on ${driver.kind}`, settings.targetTimeoutMs, 'adapter_error', (signal) => driver.checkAccess!(fault, targets, { log, signal }));
    for (const c of checks) {
      const why = c.reason ? ` (${c.reason})` : '';
      if (c.allowed === true) out.lines.push(`access: ${c.what}: allowed`);
      else if (c.allowed === null) out.lines.push(`access: ${c.what}: not checkable${why}`);
      else out.problems.push(`access: ${c.what}: denied${why}`);
    }
  } catch (err) {
    out.problems.push(`access: could not check the permissions: ${errorText(err)}${isFaultlineError(err) ? ` [${err.code}]` : ''}`);
  }
}

/**
 * `faultline run --dry-run`: what would be hit, resolved now with the caps and protections the real
 * run applies, whether the target lets the bot make the calls the fault needs, and one reading of
 * every signal. Nothing is proposed and nothing injected.
 */
export async function dryRunPlan(
  ctx: { targets: ReadonlyMap<string, TargetDriver>; signals: ReadonlyMap<string, SignalSource>; settings: EngineSettings },
  playbook: string,
  spec: Experiment,
  signalTimeoutMs: number,
): Promise<DryRun> {
  const clock = systemClock();
  const problems: string[] = [];
  const lines: string[] = [`Dry run of ${playbook}: nothing is proposed or injected.`];
  const log = createLogger({ level: 'silent' });
  let built: BuiltPlan | undefined;
  try {
    built = await buildPlan(spec, 1, { targets: ctx.targets, signals: ctx.signals, settings: ctx.settings, log });
    lines.push(`Fault: ${spec.fault.type} for ${Math.round(spec.fault.duration / 1000)} s on ${built.plan.targets.length} of ${built.plan.candidates} candidates (${spec.target.adapter}):`);
    for (const t of built.plan.targets) lines.push(`  - ${t.name} (${t.kind})`);
    if (built.protectedOut.length > 0) lines.push(`Left out as protected: ${built.protectedOut.join(', ')}`);
  } catch (err) {
    problems.push(`targets: ${errorText(err)}${isFaultlineError(err) ? ` [${err.code}]` : ''}`);
  }
  if (built) await checkAccess(driverFor(ctx.targets, spec.target.adapter), spec.fault, built.plan.targets, ctx.settings, log, { lines, problems });
  const checks = [...spec.steadyState.map((c) => ({ kind: 'steady state', name: c.name, signal: c.signal })), ...spec.guardrails.map((g) => ({ kind: 'guardrail', name: g.name, signal: g.signal }))];
  for (const c of checks) {
    const reading = await sampleSignal(ctx.signals, c.signal, clock, signalTimeoutMs);
    if (reading.status === 'ok') lines.push(`${c.kind} "${c.name}": reads ${reading.value}`);
    else problems.push(`${c.kind} "${c.name}": unknown (${reading.reason})`);
  }
  return { lines, problems };
}
