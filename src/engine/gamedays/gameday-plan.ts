import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import { FaultlineError, isFaultlineError } from '../../core/errors.js';
import type { Plan } from '../../core/experiment.js';
import { isInlineStep, type GameDaySpec } from '../../core/gameday.js';
import { checkLadder, targetScope, type PastRun } from '../../core/ladder.js';
import type { Experiment } from '../../core/playbook.js';
import type { LoadedGameDay } from '../../playbooks/validate-gameday.js';

/** Every step as the Experiment it runs: references resolved with their overrides, inline steps as loaded. */
export function resolveStepSpecs(loaded: LoadedGameDay, playbook: (name: string) => Experiment): Experiment[] {
  const gd = loaded.gameday;
  return gd.steps.map((step, i) => {
    if (isInlineStep(step)) return structuredClone(loaded.inline[i]!);
    const spec = playbook(step.playbook);
    if (step.blastRadius) spec.target.blastRadius = step.blastRadius;
    if (step.duration !== undefined) spec.fault.duration = step.duration;
    spec.channel = gd.channel;
    return spec;
  });
}

export function stepName(gd: GameDaySpec, i: number, spec: Experiment, plan: Plan): string {
  return gd.steps[i]?.name ?? `${spec.name} (${plan.blastRadius})`;
}

/** What the one approval covers: every step's plan hash, in order, and the roles and rules of the day. */
export function gameDayHash(stepHashes: readonly string[], gd: Pick<GameDaySpec, 'roles' | 'autoContinue' | 'commanderTimeout'>): string {
  const body = { steps: stepHashes, roles: gd.roles, autoContinue: gd.autoContinue, commanderTimeoutMs: gd.commanderTimeout };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * "Start small" across the day: each step must pass the ladder, counting the earlier steps of the
 * same game day as if they held (they must, or the day stops before the larger step runs).
 */
export function checkGameDayLadder(plans: readonly Plan[], history: readonly PastRun[], windowMs: number, now: number): void {
  const virtual: PastRun[] = [];
  plans.forEach((plan, i) => {
    try {
      checkLadder(plan, [...virtual, ...history], windowMs, now);
    } catch (err) {
      if (isFaultlineError(err, 'ladder')) throw new FaultlineError('ladder', `step ${i + 1}: ${err.message}; add a smaller step before it`, { ...err.details, step: i + 1 });
      throw err;
    }
    virtual.unshift({
      id: `step-${i + 1}`,
      scope: targetScope(plan),
      faultType: plan.fault.type,
      blastRadius: plan.blastRadius,
      targets: plan.targets.length,
      candidates: plan.candidates,
      verdict: 'held',
      state: 'completed',
      endedAt: now,
    });
  });
}

/** A short account of how a step's plan changed (for the re-approval prompt). */
export function describeDrift(before: Plan, after: Plan): string {
  const names = (p: Plan) => p.targets.map((t) => t.name).join(', ') || '(none)';
  if (names(before) !== names(after)) return `targets were ${names(before)}, now ${names(after)}`;
  if (before.candidates !== after.candidates) return `candidates were ${before.candidates}, now ${after.candidates}`;
  return 'the resolved plan differs (fault, guardrails or steady state)';
}
