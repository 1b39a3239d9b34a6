import type { AdapterLogger } from '../../../core/ports.js';
import type { PagerDutyRest } from './rest.js';
import type { Incident } from './schema.js';

export interface IncidentPollerOptions {
  rest: PagerDutyRest;
  intervalMs: number;
  /** The services to watch, read before every poll (linked services of running experiments + config). */
  services: () => readonly string[];
  /** Called once per open incident and status; a re-triggered or newly acknowledged incident comes again. */
  onIncident: (i: Incident) => void | Promise<void>;
  log: AdapterLogger;
}

/**
 * The polling fallback for webhooks: every `intervalMs`, while any service is watched, lists the open
 * incidents on the watched services and reports the ones not reported before. A failing poll is
 * logged and tried again next interval; the poller never throws. Polls never overlap.
 */
export class IncidentPoller {
  /** Last reported status per open incident; incidents that close are forgotten. */
  private readonly reported = new Map<string, Incident['status']>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private inflight: Promise<Incident[]> | undefined;
  private abort: AbortController | undefined;
  private failures = 0;
  /** Bumped by start(), so a loop left over from before a stop() does not carry on. */
  private generation = 0;

  constructor(private readonly opts: IncidentPollerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation += 1;
    this.schedule(0, this.generation);
  }

  /** Stops the schedule and abandons a poll in flight; nothing is reported after stop() returns. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort(new Error('poller stopped'));
  }

  /**
   * One poll now: the incidents it reported (new ones or new statuses). [] when nothing is watched or
   * the poll failed — so this is an event feed, not a health check; a gate asks PagerDutyRest, which throws.
   */
  pollOnce(): Promise<Incident[]> {
    this.inflight ??= this.poll().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private schedule(delayMs: number, generation: number): void {
    if (!this.running || generation !== this.generation) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollOnce()
        .catch((err: unknown) => this.opts.log.error({ err }, 'pagerduty poll failed'))
        .then(() => this.schedule(this.opts.intervalMs, generation));
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<Incident[]> {
    let services: string[];
    try {
      services = [...new Set(this.opts.services())];
    } catch (err) {
      this.opts.log.error({ err }, 'pagerduty poll skipped (services unknown)');
      return [];
    }
    if (services.length === 0) return [];
    const abort = new AbortController();
    this.abort = abort;
    try {
      return await this.pollServices(services, abort.signal);
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  private async pollServices(services: string[], signal: AbortSignal): Promise<Incident[]> {
    const { log } = this.opts;
    const watched = new Set(services);
    let open: Incident[];
    try {
      // Only what was asked for: an API that ignored the filter must not abort unrelated experiments.
      open = (await this.opts.rest.openIncidents(services, signal)).filter((i) => watched.has(i.serviceId));
    } catch (err) {
      if (signal.aborted) return [];
      this.failures += 1;
      log.warn({ services, failures: this.failures, err }, 'pagerduty poll failed');
      return [];
    }
    if (signal.aborted) return [];
    if (this.failures > 0) log.info({ services, after: this.failures }, 'pagerduty poll recovered');
    this.failures = 0;
    const openIds = new Set(open.map((i) => i.id));
    for (const id of [...this.reported.keys()]) if (!openIds.has(id)) this.reported.delete(id);
    const reported: Incident[] = [];
    for (const incident of open) {
      if (signal.aborted) break;
      if (this.reported.get(incident.id) === incident.status) continue;
      this.reported.set(incident.id, incident.status);
      reported.push(incident);
      this.report(incident);
    }
    return reported;
  }

  private report(incident: Incident): void {
    const meta = { incidentId: incident.id, status: incident.status, serviceId: incident.serviceId };
    const failed = (err: unknown) => this.opts.log.error({ ...meta, err }, 'pagerduty incident handler failed');
    this.opts.log.info(meta, 'pagerduty incident seen by poll');
    try {
      const result = this.opts.onIncident(incident);
      if (result && typeof result.then === 'function') result.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }
}
