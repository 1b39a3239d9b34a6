import type { App } from '../compose.js';
import { engineSettings } from '../engine-settings.js';
import { dryRunPlan } from '../run-dry.js';
import type { PipelineDesk } from './handoff-consumer.js';

/** The leader's side of `faultline run` on replicas: its engine proposes and runs, its adapters dry-run. */
export function pipelineDesk(app: App): PipelineDesk {
  return {
    async launch(h) {
      const launched = await app.engine.standing.launch({ playbook: h.playbook, overrides: h.overrides, actor: h.actor, ...(h.channel ? { channel: h.channel } : {}) });
      return { experimentId: launched.experimentId, standing: launched.standing, hypothesis: app.playbooks.get(h.playbook)?.playbook.hypothesis ?? '' };
    },
    dryRun: (h) =>
      dryRunPlan({ targets: app.targets, signals: app.signals, settings: engineSettings(app.config, process.cwd()) }, h.playbook, app.engine.experiments.specFor(h.playbook, h.overrides), app.config.engine.signalTimeout),
  };
}
