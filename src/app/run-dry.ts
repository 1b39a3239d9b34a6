import { systemClock } from '../core/clock.js';
import { errorText, isFaultlineError } from '../core/errors.js';
import type { Experiment } from '../core/playbook.js';
import type { SignalSource, TargetDriver } from '../core/ports.js';
import type { EngineSettings } from '../engine/engine-deps.js';
import { buildPlan } from '../engine/experiments/plan-builder.js';
import { sampleSignal } from '../engine/guards/sample-signals.js';
import { createLogger } from './logger.js';

export interface DryRun {
  lines: string[];
  /** What would stop the run; none: it would run. */
  problems: string[];
}

/**
 * `faultline run --dry-run`: what would be hit, resolved now with the caps and protections the real
 * run applies, and one reading of every signal. Nothing is proposed and nothing injected.
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
  try {
    const built = await buildPlan(spec, 1, { targets: ctx.targets, signals: ctx.signals, settings: ctx.settings, log: createLogger({ level: 'silent' }) });
    lines.push(`Fault: ${spec.fault.type} for ${Math.round(spec.fault.duration / 1000)} s on ${built.plan.targets.length} of ${built.plan.candidates} candidates (${spec.target.adapter}):`);
    for (const t of built.plan.targets) lines.push(`  - ${t.name} (${t.kind})`);
    if (built.protectedOut.length > 0) lines.push(`Left out as protected: ${built.protectedOut.join(', ')}`);
  } catch (err) {
    problems.push(`targets: ${errorText(err)}${isFaultlineError(err) ? ` [${err.code}]` : ''}`);
  }
  const checks = [...spec.steadyState.map((c) => ({ kind: 'steady state', name: c.name, signal: c.signal })), ...spec.guardrails.map((g) => ({ kind: 'guardrail', name: g.name, signal: g.signal }))];
  for (const c of checks) {
    const reading = await sampleSignal(ctx.signals, c.signal, clock, signalTimeoutMs);
    if (reading.status === 'ok') lines.push(`${c.kind} "${c.name}": reads ${reading.value}`);
    else problems.push(`${c.kind} "${c.name}": unknown (${reading.reason})`);
  }
  return { lines, problems };
}
