import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { EngineSettings } from '../engine/engine-deps.js';
import type { Config } from './config.js';

/**
 * The templates Faultline ships: found where it is installed, not in the working directory. From
 * src/app in a checkout they are two folders up; from dist/src/app in a build, three.
 */
function shippedTemplates(cwd: string): string {
  const found = ['../../templates/', '../../../templates/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((dir) => existsSync(path.join(dir, 'postmortem.md.hbs')));
  return found ?? path.resolve(cwd, 'templates');
}

/** The engine's settings from the parsed config (paths resolved against `cwd`). */
export function engineSettings(config: Config, cwd: string): EngineSettings {
  const shipped = config.templates.postmortem && config.templates.gamedayReport ? '' : shippedTemplates(cwd);
  return {
    approval: { approvers: config.approvers, ttlMs: config.approvalTtl, proposalTtlMs: config.proposalTtl },
    askApprovers: config.slack.notifyApprovers,
    proposalTtlMs: config.proposalTtl,
    protection: config.protected,
    caps: { maxTargets: config.caps.maxTargets, maxPercent: config.caps.maxPercent, maxConcurrent: config.caps.maxConcurrent, maxDurationMs: config.caps.maxDuration },
    guardrailIntervalMs: config.engine.guardrailInterval,
    blindAfterMs: config.engine.blindAfter,
    signalTimeoutMs: config.engine.signalTimeout,
    statusIntervalMs: config.engine.statusInterval,
    postcheckTimeoutMs: config.engine.postcheckTimeout,
    targetTimeoutMs: config.engine.targetTimeout,
    ...(config.caps.ladder ? { ladderWindowMs: config.caps.ladder.window } : {}),
    freezeWindows: config.freezes.map((f, i) =>
      'cron' in f
        ? { id: `config-${i + 1}`, kind: 'recurring' as const, cron: f.cron, durationMs: f.duration, timeZone: f.timeZone, reason: f.reason, by: 'config' }
        : { id: `config-${i + 1}`, kind: 'once' as const, from: Date.parse(f.from), to: Date.parse(f.to), reason: f.reason, by: 'config' },
    ),
    postmortemTemplate: config.templates.postmortem ? path.resolve(cwd, config.templates.postmortem) : path.join(shipped, 'postmortem.md.hbs'),
    gameDayReportTemplate: config.templates.gamedayReport ? path.resolve(cwd, config.templates.gamedayReport) : path.join(shipped, 'gameday-report.md.hbs'),
    postmortemDir: path.resolve(cwd, config.postmortems.dir),
  };
}
