import path from 'node:path';
import { systemClock } from '../core/clock.js';
import { Actor } from '../core/actor.js';
import { parseDuration } from '../core/duration.js';
import { errorText, FaultlineError, isFaultlineError } from '../core/errors.js';
import { TERMINAL_STATES, type ExperimentRecord } from '../core/experiment.js';
import { ConsoleChat } from '../adapters/chat/console/index.js';
import { boot, logFileFor } from './boot.js';
import { readConfig, withDemoApprovers } from './config.js';
import { engineSettings } from './engine-settings.js';
import { createLogger } from './logger.js';
import type { App } from './compose.js';
import { runProgress, type RunProgress } from './run-progress.js';
import { dryRunPlan, type DryRun } from './run-dry.js';
import { runOnReplicas } from './run-on-replicas.js';
import { writeRunOutputs, type RunOutcome } from './run-outputs.js';

/** Exit codes of `faultline run`: the verdict, so a pipeline step can gate on it. */
export const RUN_EXIT = { held: 0, refuted: 1, inconclusive: 2, refused: 3, failed: 3, timeout: 3, usage: 4 } as const;

export interface RunOptions {
  config?: string;
  set: string[];
  timeout?: string;
  json?: string;
  junit?: string;
  dryRun: boolean;
  as?: string;
  channel?: string;
}

/** `--set duration=30s`, `--set blastRadius=count:2`: the overrides chat takes. */
export function parseSets(sets: readonly string[]): { duration?: number; blastRadius?: string } {
  const out: { duration?: number; blastRadius?: string } = {};
  for (const s of sets) {
    const m = /^(duration|blastRadius)=(\S+)$/.exec(s);
    if (!m) throw new FaultlineError('command_usage', `--set ${s}: expected duration=<30s> or blastRadius=<one|all|count:N|percent:P>`, { field: '--set' });
    if (m[1] === 'duration') {
      const ms = parseDuration(m[2]!);
      if (!ms) throw new FaultlineError('command_usage', `--set ${s}: expected a duration like 30s or 5m`, { field: '--set' });
      out.duration = ms;
    } else out.blastRadius = m[2]!;
  }
  return out;
}

/**
 * `faultline run <playbook>`: one experiment, headless, with its verdict as the exit code. It is
 * proposed as the pipeline (never an approver of its own run); a standing approval granted in chat
 * (`/chaos approve-standing`) approves and starts it, and the run is announced on its card with its
 * Abort button. Without one it is refused (exit 3) and the proposal withdrawn: no run waits on a
 * person nobody asked.
 */
export async function runAction(playbook: string, opts: RunOptions): Promise<void> {
  let code: number;
  try {
    code = await run(playbook, opts);
  } catch (err) {
    const usage = isFaultlineError(err) && (err.code === 'command_usage' || err.code === 'config_invalid' || err.code === 'store_in_use' || err.code === 'playbook_not_found' || err.code === 'playbook_invalid');
    process.stderr.write(`faultline run: ${errorText(err)}${isFaultlineError(err) ? ` [${err.code}]` : ''}\n`);
    code = usage ? RUN_EXIT.usage : RUN_EXIT.failed;
  }
  process.exit(code);
}

async function run(playbook: string, opts: RunOptions): Promise<number> {
  const overrides = parseSets(opts.set);
  const timeoutMs = opts.timeout === undefined ? undefined : parseDuration(opts.timeout);
  if (opts.timeout !== undefined && !timeoutMs) throw new FaultlineError('command_usage', `--timeout ${opts.timeout}: expected a duration like 10m`, { field: '--timeout' });
  const actor = Actor.parse({ id: opts.as ?? process.env.FAULTLINE_PIPELINE_ACTOR ?? 'pipeline', name: 'pipeline' });
  const read = readConfig(opts.config ? { file: opts.config } : {});
  // As in the console: with no approvers configured and no Slack, its demo users are the approvers.
  const loaded = read.env.slackBotToken ? read : { ...read, config: withDemoApprovers(read.config) };
  const { config } = loaded;
  const progress = runProgress(process.stderr);
  if (config.store.url) {
    // Replicas act on this database: the leader runs it, this process only follows it.
    const done = await runOnReplicas({
      url: config.store.url,
      playbook,
      overrides,
      actor,
      ...(opts.channel ? { channel: opts.channel } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
      dryRun: opts.dryRun,
      ...(opts.json ? { json: opts.json } : {}),
      ...(opts.junit ? { junit: opts.junit } : {}),
      answerWaitMs: 2 * config.replicas.handoffWait,
      progress,
      printDryRun: (dry) => printDryRun(dry, progress),
    });
    return done.outcome === 'dry-run' ? done.code! : RUN_EXIT[done.outcome];
  }
  const log = createLogger({ level: config.log.level, file: logFileFor(config).replace(/faultline\.log$/, 'faultline-run.log') });
  // The thread's lines go to the terminal, as in the console; a pipeline's log keeps them.
  const chat = new ConsoleChat((text) => progress.line(text));
  const { app, sandbox } = await boot({ config, chat, log, embedded: loaded.source === 'embedded defaults', env: loaded.env, httpServed: false });
  try {
    if (!app.playbooks.has(playbook)) {
      const skipped = app.playbookReports.find((r) => !r.ok && r.problems.some((p) => p.includes(playbook)));
      throw new FaultlineError(skipped ? 'playbook_invalid' : 'playbook_not_found', skipped ? `playbook ${playbook} does not load: ${skipped.problems.join('; ')}` : `no playbook named ${playbook}; loaded: ${[...app.playbooks.keys()].join(', ') || '(none)'}`);
    }
    if (opts.dryRun) {
      const dry = await dryRunPlan({ targets: app.targets, signals: app.signals, settings: engineSettings(app.config, process.cwd()) }, playbook, app.engine.experiments.specFor(playbook, overrides), config.engine.signalTimeout);
      return printDryRun(dry, progress);
    }
    progress.phase('proposing');
    const launched = await app.engine.standing.launch({ playbook, overrides, actor, ...(opts.channel ? { channel: opts.channel } : {}) });
    const id = launched.experimentId;
    if (!launched.standing.ok) {
      // Nobody here can approve it: withdraw the proposal rather than leave it waiting.
      const why = launched.standing.reason ?? `no standing approval for ${playbook}`;
      app.engine.experiments.cancel(id, actor, `pipeline run refused: ${why}`);
      await app.engine.notifier.flush();
      progress.done(`refused: ${why}. An approver grants one in chat: /chaos approve-standing ${playbook} for 7d`);
      return finish(app, id, 'refused', opts, { code: 'approval_missing', reason: why });
    }
    const outcome = await waitForEnd(app, id, timeoutMs, actor, progress);
    return finish(app, id, outcome, opts);
  } finally {
    await app.shutdown('pipeline run finished');
    await sandbox?.stop();
  }
}

async function waitForEnd(app: App, id: string, timeoutMs: number | undefined, actor: Actor, progress: ReturnType<typeof runProgress>): Promise<RunOutcome> {
  const clock = systemClock();
  const deadline = timeoutMs === undefined ? Infinity : clock.now() + timeoutMs;
  let timedOut = false;
  for (;;) {
    const record: ExperimentRecord = app.engine.experiments.get(id).record;
    progress.phase(record.state === 'running' ? (record.phase ?? 'running') : record.state);
    if (TERMINAL_STATES.includes(record.state)) break;
    if (!timedOut && clock.now() >= deadline) {
      timedOut = true;
      progress.line(`--timeout reached: aborting ${id}`);
      app.engine.experiments.abort(id, actor, 'the pipeline run reached its --timeout');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await app.engine.settle();
  const record = app.engine.experiments.get(id).record;
  if (timedOut) return 'timeout';
  if (record.state === 'failed') return 'failed';
  if (record.state === 'rejected' || record.state === 'expired' || record.state === 'cancelled') return 'refused';
  return record.verdict ?? 'inconclusive';
}

function finish(app: App, id: string, outcome: RunOutcome, opts: RunOptions, refusal?: { code: string; reason: string }): number {
  const record = app.engine.experiments.get(id).record;
  const journal = app.engine.journal.of(id);
  const hypothesis = app.playbooks.get(record.name)?.playbook.hypothesis ?? '';
  writeRunOutputs({ record, journal, hypothesis, outcome, ...(refusal ? { refusal } : {}), ...(opts.json ? { json: path.resolve(opts.json) } : {}), ...(opts.junit ? { junit: path.resolve(opts.junit) } : {}) });
  process.stdout.write(`${id} ${record.name}: ${outcome}${record.abort ? ` (aborted: ${record.abort.reason})` : ''}\n`);
  return RUN_EXIT[outcome];
}


export function printDryRun(dry: DryRun, progress: RunProgress): number {
  for (const l of dry.lines) process.stdout.write(`${l}\n`);
  for (const p of dry.problems) process.stdout.write(`! ${p}\n`);
  progress.done(dry.problems.length === 0 ? 'dry run: everything would run' : `dry run: ${dry.problems.length} problem(s)`);
  return dry.problems.length === 0 ? 0 : RUN_EXIT.refused;
}
