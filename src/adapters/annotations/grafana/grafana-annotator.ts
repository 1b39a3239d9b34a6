import type { ExperimentRecord } from '../../../core/experiment.js';
import type { AdapterLogger, MessageRef } from '../../../core/ports.js';
import { annotationsFor, type AnnotationStep } from './annotation-plan.js';
import { GrafanaRequestError, type GrafanaAnnotationsClient } from './annotations-client.js';
import type { CreateAnnotation, GrafanaConfig } from './schema.js';

export interface GrafanaAnnotatorDeps {
  client: GrafanaAnnotationsClient;
  log: AdapterLogger;
  /** Resolves on a later turn of the event loop; the default is `setImmediate`. */
  defer?: () => Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Turns experiment transitions into Grafana annotations. `onTransition` is the engine's hook: it
 * works out what to post (pure, in memory) and returns; the requests run later, off the engine's
 * path, one experiment's in order (a region's PATCH needs the id its POST returned), different
 * experiments' side by side. A failure is logged with `code: 'adapter_error'` and its `failure`
 * (annotations-client.ts), never thrown: an annotation is never worth delaying an abort or a revert.
 *
 * The fault window is created when the fault goes in (`timeEnd = time`) and PATCHed with the real
 * `timeEnd` when it is reverted, rather than created once at revert: the window shows on the
 * dashboards while the fault is in, which is when people are looking at them. When the id is not
 * known at revert (the create failed, or the bot restarted mid-run), or the annotation was deleted
 * (404), the whole region is created at revert instead, so the window is never lost.
 */
export class GrafanaAnnotator {
  private readonly chains = new Map<string, Promise<void>>();
  /** Grafana's id of each open fault window, by experiment. */
  private readonly regions = new Map<string, number>();
  private pending = 0;
  private readonly defer: () => Promise<void>;

  constructor(
    private readonly cfg: Pick<GrafanaConfig, 'dashboardUid' | 'panelId' | 'maxPending'>,
    private readonly deps: GrafanaAnnotatorDeps,
  ) {
    this.defer = deps.defer ?? nextTurn;
  }

  /** The engine's `onTransition`: returns at once, never throws. */
  readonly onTransition = (before: ExperimentRecord, after: ExperimentRecord, _card?: MessageRef | null): void => {
    try {
      for (const step of annotationsFor(before, after)) this.enqueue(after.id, step);
    } catch (err) {
      this.deps.log.warn({ code: 'adapter_error', experimentId: after.id, err }, 'grafana annotation not planned');
    }
  };

  /** Resolves when everything queued so far has been sent or has failed (tests; a clean shutdown). */
  async settle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Annotations waiting or in flight. */
  get inFlight(): number {
    return this.pending;
  }

  private enqueue(experimentId: string, step: AnnotationStep): void {
    if (this.pending >= this.cfg.maxPending) {
      this.deps.log.warn({ code: 'adapter_error', failure: 'queue_full', experimentId, annotation: step.kind, pending: this.pending }, 'grafana annotation dropped');
      return;
    }
    this.pending += 1;
    // Nothing of it runs on this turn: the engine's transition (an abort's included) finishes first.
    const prev = this.chains.get(experimentId) ?? this.defer();
    const next = prev
      .then(() => this.perform(experimentId, step))
      .finally(() => {
        this.pending -= 1;
        if (this.chains.get(experimentId) === next) this.chains.delete(experimentId);
      });
    this.chains.set(experimentId, next);
  }

  private body(step: AnnotationStep, timeEnd?: number): CreateAnnotation {
    return {
      ...(this.cfg.dashboardUid ? { dashboardUID: this.cfg.dashboardUid } : {}),
      ...(this.cfg.panelId !== undefined ? { panelId: this.cfg.panelId } : {}),
      time: step.time,
      ...(timeEnd !== undefined ? { timeEnd } : {}),
      tags: step.tags,
      text: step.text,
    };
  }

  private async perform(experimentId: string, step: AnnotationStep): Promise<void> {
    const { client, log } = this.deps;
    try {
      if (step.op === 'point') {
        const id = await client.create(this.body(step));
        log.debug({ experimentId, annotation: step.kind, id }, 'grafana annotation posted');
        if (step.kind === 'end') this.regions.delete(experimentId);
        return;
      }
      if (step.op === 'open-region') {
        const id = await client.create(this.body(step, step.time));
        this.regions.set(experimentId, id);
        log.debug({ experimentId, annotation: step.kind, id }, 'grafana annotation posted');
        return;
      }
      const open = this.regions.get(experimentId);
      this.regions.delete(experimentId);
      if (open !== undefined) {
        try {
          await client.patch(open, { timeEnd: step.timeEnd, text: step.text });
          log.debug({ experimentId, annotation: step.kind, id: open }, 'grafana annotation patched');
          return;
        } catch (err) {
          if (!(err instanceof GrafanaRequestError && err.failure === 'not_found')) throw err;
        }
      }
      const id = await client.create(this.body(step, step.timeEnd));
      log.debug({ experimentId, annotation: step.kind, id }, 'grafana annotation posted');
    } catch (err) {
      const meta =
        err instanceof GrafanaRequestError
          ? { failure: err.failure, ...(err.status !== undefined ? { status: err.status } : {}), attempts: err.attempts, reason: err.message }
          : { failure: 'internal', reason: err instanceof Error ? err.message : String(err) };
      const hint = err instanceof GrafanaRequestError && (err.failure === 'unauthorized' || err.failure === 'forbidden') ? { hint: 'GRAFANA_TOKEN must be a service-account token allowed annotations:create and annotations:write' } : {};
      log.warn({ code: 'adapter_error', experimentId, annotation: step.kind, ...meta, ...hint }, 'grafana annotation failed');
    }
  }
}
