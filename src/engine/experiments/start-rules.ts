import { checkOrgLimits } from '../../core/blast-radius.js';
import { FaultlineError } from '../../core/errors.js';
import type { Plan } from '../../core/experiment.js';
import { checkLadder, targetScope, type PastRun } from '../../core/ladder.js';
import type { Experiment } from '../../core/playbook.js';
import type { EngineDeps } from '../engine-deps.js';
import type { FreezeWindows } from '../guards/freeze-windows.js';
import type { IncidentWatch } from '../guards/incident-watch.js';
import type { KillSwitch } from '../guards/kill-switch.js';
import type { ExperimentRepo } from './experiment-repo.js';
import { heldTargetIds } from './plan-builder.js';

/**
 * The rules a start checks that no approval lifts: halt, freeze windows, the ladder, the incident
 * gate of the linked services and the org caps (concurrency, one run per target). A start checks
 * them; a game day checks a step's plan with them before proposing it, so a step that cannot start
 * posts no card and asks nobody. The caps are checked again, atomically, by the start transition.
 */
export class StartRules {
  constructor(
    private readonly deps: Pick<EngineDeps, 'settings' | 'clock'>,
    private readonly parts: { repo: ExperimentRepo; killSwitch: KillSwitch; freezes: FreezeWindows; incidents: IncidentWatch },
  ) {}

  async check(run: { id: string; plan: Plan; spec: Experiment }): Promise<void> {
    // Halt first, the caps last: the order in which a start has always named what refused it.
    checkOrgLimits(run.id, [], { ...this.limits(), running: [] });
    const freeze = this.parts.freezes.active();
    if (freeze) {
      throw new FaultlineError('frozen', `chaos is frozen until ${new Date(freeze.until).toISOString()}: ${freeze.window.reason} (${freeze.window.id}); /chaos halt still works`, {
        window: freeze.window.id,
        until: freeze.until,
      });
    }
    const ladderWindow = this.deps.settings.ladderWindowMs;
    if (ladderWindow !== undefined) checkLadder(run.plan, this.pastRuns(), ladderWindow, this.deps.clock.now());
    await this.parts.incidents.checkStart({ record: { id: run.id }, spec: run.spec }, this.deps.settings.targetTimeoutMs);
    checkOrgLimits(run.id, heldTargetIds(run.plan), this.limits());
  }

  /** The halt, the concurrency cap and what runs now: what the start transition checks atomically. */
  limits() {
    const halt = this.parts.killSwitch.state();
    return {
      halted: halt ? { reason: halt.reason, by: halt.by } : null,
      maxConcurrent: this.deps.settings.caps.maxConcurrent,
      running: this.parts.repo.running().map((r) => ({ id: r.record.id, targetIds: heldTargetIds(r.record.plan) })),
    };
  }

  /** Finished runs (newest first, the last 1000) for the ladder and `/chaos history`. */
  pastRuns(): PastRun[] {
    return this.parts.repo.list({ states: ['completed', 'aborted', 'failed'], limit: 1000 }).map(({ record: r }) => ({
      id: r.id,
      scope: targetScope(r.plan),
      faultType: r.plan.fault.type,
      blastRadius: r.plan.blastRadius,
      targets: r.plan.targets.length,
      candidates: r.plan.candidates,
      verdict: r.verdict,
      state: r.state,
      endedAt: r.endedAt ?? r.updatedAt,
    }));
  }
}
