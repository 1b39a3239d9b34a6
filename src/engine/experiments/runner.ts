import { SYSTEM } from '../../core/actor.js';
import { wrapError, errorText } from '../../core/errors.js';
import { evaluateCheck, type CheckResult } from '../../core/guardrails.js';
import { message } from '../../core/message.js';
import { writePostmortemChart, writePostmortemDraft } from '../../reports/postmortem/postmortem.js';
import { basename } from 'node:path';

/** How long the draft waits for the thread's link (chat.getPermalink) before it is written without. */
const PERMALINK_WAIT_MS = 2000;
import type { EngineDeps } from '../engine-deps.js';
import type { ExperimentRepo, StoredExperiment } from './experiment-repo.js';
import type { Journal } from '../journal.js';
import type { Notifier } from '../chat/notifier.js';
import { FaultSteps, HandleRevertError, receiptText } from './fault-steps.js';
import { sampleAll } from '../guards/sample-signals.js';
import { observeGuardrails, preflight, type WatchPorts } from '../guards/guardrail-watch.js';
import { sleep } from '../../lib/sleep.js';
import { within } from '../../lib/within.js';
import { noMetrics, type EngineMetrics } from '../engine-metrics.js';
import type { Transitions } from './transitions.js';
import type { FaultEnded } from '../../core/ports.js';

interface RunControl {
  /** Fired by abort: wakes the observation wait at once. */
  wake: AbortController;
  done: Promise<void>;
}

const checkData = (results: CheckResult[]) =>
  results.map((r) => ({ name: r.name, passed: r.passed, detail: r.detail, ...(r.reading.status === 'ok' ? { value: r.reading.value } : {}) }));

/**
 * Drives one started experiment through pre-check → inject → observe → revert → post-check →
 * verdict. Every step ends in a core transition; which step comes next is read from the stored phase
 * (the core returns no step effects), so a run resumed after a restart or an abort picks up where the
 * record says. The notices a transition returns are performed by Transitions.
 */
export class Runner {
  private readonly runs = new Map<string, RunControl>();
  /** Inject and revert, with what this process holds in flight. */
  readonly faults: FaultSteps;

  constructor(
    private readonly deps: EngineDeps,
    private readonly repo: ExperimentRepo,
    private readonly transitions: Transitions,
    private readonly journal: Journal,
    private readonly notifier: Notifier,
  ) {
    this.faults = new FaultSteps(deps, repo, journal, notifier, (id, ended) => this.faultEnded(id, ended));
  }

  isBusy(): boolean {
    return this.runs.size > 0;
  }

  isRunning(id: string): boolean {
    return this.runs.has(id);
  }

  /** Resolves when every run in flight has finished (reverted and checked). */
  async settle(): Promise<void> {
    while (this.runs.size > 0) await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  /** Resolves when the run of `id` in this process has finished (post-mortem and chart written); at once when none is. */
  done(id: string): Promise<void> {
    return this.runs.get(id)?.done ?? Promise.resolve();
  }

  /** Starts the run in the background; `from` lets reconcile resume at the revert step. */
  launch(id: string, from: 'precheck' | 'revert' = 'precheck'): void {
    if (this.runs.has(id)) return;
    const wake = new AbortController();
    const control: RunControl = { wake, done: Promise.resolve() };
    this.runs.set(id, control);
    control.done = this.drive(id, wake.signal, from)
      .catch((err: unknown) => this.crashed(id, err))
      .catch((err: unknown) => this.deps.log.error({ experimentId: id, err }, 'crash handling failed'))
      .finally(() => this.runs.delete(id));
  }

  /**
   * The target says the fault ended by itself while the run observes it. Completed: the observation
   * ends now and the run reverts (idempotent) and post-checks as at the end of its duration. Stopped
   * or failed: the run is aborted with that reason. Said in the thread either way; ignored once the
   * run is past observing (its own revert is what ended it).
   */
  private faultEnded(id: string, ended: FaultEnded): void {
    const entry = this.repo.find(id);
    if (!entry || entry.record.state !== 'running' || entry.record.phase !== 'observing') return;
    this.journal.record('fault-ended', id, SYSTEM, { ...ended });
    this.notifier.reply(id, entry.card, entry.record.channel, message({ tone: ended.state === 'completed' ? 'info' : 'warning', subject: id, sections: [`the fault ended by itself (${ended.state}): ${ended.reason}`] }));
    if (ended.state === 'completed') this.transitions.apply(id, { type: 'duration-elapsed' });
    else {
      const reason = `the fault ${ended.state} by itself: ${ended.reason}`;
      this.transitions.apply(id, { type: 'abort', actor: SYSTEM, reason, code: 'fault_ended' });
      this.journal.record('abort', id, SYSTEM, { reason, code: 'fault_ended' });
    }
    this.wake(id);
  }

  /** Called after an abort transition: the observation loop stops waiting and reverts now. */
  wake(id: string): void {
    this.runs.get(id)?.wake.abort();
  }

  private get metrics(): EngineMetrics {
    return this.deps.metrics ?? noMetrics;
  }

  private current(id: string): StoredExperiment {
    return this.repo.get(id);
  }

  private async drive(id: string, wake: AbortSignal, from: 'precheck' | 'revert'): Promise<void> {
    if (from === 'precheck') {
      // Every guardrail and steady-state check is sampled once before the fault goes in.
      const { refusal } = await preflight(this.watchPorts, id);
      if (this.current(id).record.phase !== 'prechecking') return this.finish(id);
      if (refusal) {
        this.transitions.apply(id, { type: 'precheck-failed', reason: refusal.reason, ...(refusal.code === 'preflight_failed' ? { code: refusal.code } : {}) });
        return this.finish(id);
      }
      this.transitions.apply(id, { type: 'precheck-passed' });
      const injected = await this.faults.inject(id);
      if (this.current(id).record.phase === 'injecting') {
        // The run ends at the fault's journaled expiry, so a slow inject never stretches it past what the target holds.
        // A fault that went in only in part is said in the thread and caps the verdict at inconclusive.
        if (injected.handle) this.transitions.apply(id, { type: 'injected', endsAt: injected.expiresAt, ...(injected.partial ? { partial: injected.partial } : {}) });
        else this.transitions.apply(id, { type: 'inject-failed', reason: injected.error ?? 'no answer' });
      }
      if (this.current(id).record.phase === 'observing') await this.observe(id, wake);
      if (this.current(id).record.phase === 'observing') this.transitions.apply(id, { type: 'duration-elapsed' });
    }
    if (this.current(id).record.phase === 'reverting') await this.revert(id);
    if (this.current(id).record.phase === 'postchecking') {
      // At shutdown there is no time to wait for recovery (a container gets seconds): one look, then go.
      const shuttingDown = this.current(id).record.abort?.code === 'shutdown';
      const post = await this.runChecks(this.current(id), 'postcheck', shuttingDown ? 0 : this.deps.settings.postcheckTimeoutMs);
      this.transitions.apply(id, { type: 'postchecked', passed: post.every((r) => r.passed) });
    }
    await this.finish(id);
  }

  /**
   * Something escaped the run (a store write failed, a bug): the run is aborted with code `error`
   * and goes the normal way out. When even that fails (the store is what broke), the fault is
   * reverted straight from memory; the periodic reconcile settles the record once the store is back.
   */
  private async crashed(id: string, err: unknown): Promise<void> {
    const reason = `internal error: ${errorText(err)}`;
    this.deps.log.error({ experimentId: id, err }, 'run crashed; aborting and reverting');
    try {
      const { record } = this.current(id);
      if (record.state === 'running' && record.phase !== 'reverting' && record.phase !== 'postchecking') {
        this.transitions.apply(id, { type: 'abort', actor: SYSTEM, reason, code: 'error' });
        this.journal.record('abort', id, SYSTEM, { reason, code: 'error' });
      }
      await this.drive(id, AbortSignal.abort(), 'revert');
      return;
    } catch (again) {
      this.deps.log.error({ experimentId: id, err: again }, 'could not record the crash; reverting from memory');
    }
    const { reverted, failed } = await this.faults.revertInFlight((f) => f.experimentId === id);
    if (failed.length > 0) this.deps.log.error({ experimentId: id, reverted, failed }, 'revert from memory failed; reconcile will try again');
    else this.deps.log.warn({ experimentId: id, reverted }, 'fault reverted from memory after a crash');
  }

  private observe(id: string, wake: AbortSignal): Promise<void> {
    return observeGuardrails(this.watchPorts, id, wake);
  }

  private get watchPorts(): WatchPorts {
    return { deps: this.deps, journal: this.journal, transitions: this.transitions, notifier: this.notifier, metrics: this.metrics, current: (id) => this.current(id) };
  }

  /** Reverts every fault this experiment injected that is not yet reverted, and reads the target back. */
  async revert(id: string): Promise<void> {
    const { record } = this.current(id);
    const reason = record.abort?.reason ?? record.failure ?? 'duration elapsed';
    let done;
    try {
      done = await this.faults.revertAll(id, reason);
    } catch (err) {
      const e = wrapError('revert_failed', 'revert failed', err instanceof HandleRevertError ? err.reason : err);
      this.metrics.revertFailed(record.plan.adapter);
      this.journal.record('revert-failed', id, SYSTEM, { ...(err instanceof HandleRevertError ? { handleId: err.handleId } : {}), error: e.message });
      this.deps.log.error({ experimentId: id, err }, 'revert failed');
      const why = errorText(err);
      // Adapters that know exactly what is left (objects, kubectl commands) say so themselves.
      const left = /by hand/i.test(why) ? '' : `. Left to undo by hand: ${record.plan.fault.type} on ${record.plan.targets.map((t) => t.name).join(', ')}`;
      this.transitions.apply(id, { type: 'revert-failed', reason: `${why}${left}` });
      return;
    }
    const unconfirmed = done.filter((d) => !d.receipt.confirmed);
    if (unconfirmed.length > 0) {
      this.metrics.revertFailed(record.plan.adapter);
      this.transitions.apply(id, { type: 'revert-failed', reason: unconfirmed.map((d) => `${d.handle.handleId}: ${receiptText(d.receipt)}`).join('; ') });
      return;
    }
    if (done.length > 0) {
      const what = `${record.plan.fault.type} on ${record.plan.targets.map((t) => t.name).join(', ')}`;
      this.notifier.reply(id, this.current(id).card, record.channel, message({ tone: 'success', subject: id, sections: [`reverted and confirmed: ${what} reads as before`] }));
    }
    this.transitions.apply(id, { type: 'reverted' });
  }

  private async runChecks(entry: StoredExperiment, kind: 'postcheck', waitUpToMs = 0): Promise<CheckResult[]> {
    const id = entry.record.id;
    const checks = entry.spec.steadyState;
    const began = this.deps.clock.now();
    const deadline = began + waitUpToMs;
    let results: CheckResult[] = [];
    for (;;) {
      const readings = await sampleAll(this.deps.signals, checks.map((c) => c.signal), this.deps.clock, this.deps.settings.signalTimeoutMs);
      results = checks.map((c, i) => evaluateCheck(c, readings[i]!));
      if (results.every((r) => r.passed) || this.deps.clock.now() >= deadline) break;
      await sleep(Math.min(this.deps.settings.guardrailIntervalMs, 2000));
    }
    const waitedMs = this.deps.clock.now() - began;
    this.journal.record(kind, id, SYSTEM, { results: checkData(results), waitedMs });
    const lines = results.map((r) => `${r.passed ? '✓' : '✗'} ${r.name}: ${r.detail}`);
    const title = `steady state after${waitedMs >= 1000 ? ` (${Math.round(waitedMs / 1000)} s after the revert)` : ''}`;
    if (lines.length > 0) this.notifier.reply(id, this.current(id).card, entry.record.channel, message({ subject: id, sections: [`${title}:\n${lines.join('\n')}`] }));
    return results;
  }

  /** Drafts the post-mortem again (with the thread's link) and puts it into the thread as a file. */
  async writeDraft(id: string): Promise<string> {
    const path = await this.draftAndShare(id);
    // The chart the draft links is drawn again beside it; a draft without it still stands.
    await writePostmortemChart(this.draftInput(id)).catch((err: unknown) => this.deps.log.warn({ experimentId: id, err }, 'signals chart failed'));
    return path;
  }

  private draftInput(id: string, threadUrl?: string) {
    const entry = this.current(id);
    return {
      templatePath: this.deps.settings.postmortemTemplate,
      outDir: this.deps.settings.postmortemDir,
      record: entry.record,
      spec: entry.spec,
      events: this.journal.of(id),
      draftedAt: this.deps.clock.now(),
      ...(threadUrl ? { threadUrl } : {}),
    };
  }

  /**
   * Writes the draft and uploads it into the card's thread (where the chat takes no files, a reply
   * names the path). The thread's link goes into the draft; waiting for it is bounded, because a
   * rate-limited chat must not keep the draft from being written.
   */
  private async draftAndShare(id: string): Promise<string> {
    const entry = this.current(id);
    const threadUrl = await within(this.notifier.permalink(id, entry.card), PERMALINK_WAIT_MS);
    const { path, text } = await writePostmortemDraft(this.draftInput(id, threadUrl));
    this.notifier.upload(id, entry.card, entry.record.channel, { path, filename: basename(path), title: `${id}: post-mortem draft`, content: text });
    return path;
  }

  private async finish(id: string): Promise<void> {
    const entry = this.current(id);
    if (entry.record.state === 'running') return;
    this.journal.record('verdict', id, SYSTEM, { state: entry.record.state, verdict: entry.record.verdict });
    try {
      const path = await this.draftAndShare(id);
      this.journal.record('postmortem', id, SYSTEM, { path });
    } catch (err) {
      this.deps.log.error({ experimentId: id, err }, 'post-mortem draft failed');
    }
    // The terminal transition already sent the final card (once); the record has not changed since.
    this.transitions.liveGuardrails.delete(id);
    await this.postChart(id);
  }

  /** Last of all, off the abort and revert path: the signals chart beside the draft and in the thread. */
  private async postChart(id: string): Promise<void> {
    const entry = this.current(id);
    try {
      const chart = await writePostmortemChart(this.draftInput(id));
      if (!chart) return;
      const filename = chart.path.split(/[\\/]/).at(-1) ?? chart.path;
      this.notifier.upload(id, entry.card, entry.record.channel, { path: chart.path, filename, title: `${id}: signals over the run`, content: '', data: chart.png });
    } catch (err) {
      this.deps.log.warn({ experimentId: id, err }, 'signals chart failed; the draft stands without it');
    }
  }
}
