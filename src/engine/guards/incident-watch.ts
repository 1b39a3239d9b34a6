import { linkedServices } from '../../core/linked-services.js';
import { SYSTEM } from '../../core/actor.js';
import { FaultlineError, errorText } from '../../core/errors.js';
import { describeIncident } from '../../core/incident-text.js';
import type { AdapterLogger, IncidentInfo, IncidentLookup, IncidentSettings } from '../../core/ports.js';
import type { ExperimentRepo, StoredExperiment } from '../experiments/experiment-repo.js';
import type { Store } from '../../store/index.js';
import { IncidentBook } from './incident-book.js';
import type { Journal } from '../journal.js';


const SOURCE_TEXT: Record<string, string> = { webhook: 'a signed webhook', poll: 'a poll', lookup: 'an earlier lookup' };


/**
 * Ties experiments to on-call reality: refuses starts while a linked service has an open incident
 * (or is frozen by a high-urgency one) and while it cannot tell, and aborts a running experiment the
 * moment an incident opens on a service it is linked to. What it learns of incidents (webhooks, polls,
 * its own lookups) is kept in the store, so a restarted bot still knows; every incident seen during a
 * run is journaled for the post-mortem.
 */
export class IncidentWatch {
  readonly book: IncidentBook;

  constructor(
    private readonly deps: {
      repo: ExperimentRepo;
      journal: Journal;
      store: Store;
      log: AdapterLogger;
      now: () => number;
      settings: IncidentSettings;
      lookup?: IncidentLookup;
      abort: (id: string, reason: string) => void;
    },
  ) {
    this.book = new IncidentBook(deps.store, deps.now);
  }

  linkedServices(entry: Pick<StoredExperiment, 'spec'>): string[] {
    return linkedServices([entry.spec], this.deps.settings.linkedServices);
  }

  /** Every service some running experiment is linked to (what the poller watches). */
  watchedServices(): string[] {
    return [...new Set(this.deps.repo.running().flatMap((e) => this.linkedServices(e)))];
  }

  /**
   * Throws when the experiment may not start now: `frozen` (a high-urgency incident froze a linked
   * service), `incident_open` (an incident on a linked service is open, from the store or PagerDuty's
   * answer), `incident_lookup_failed` (PagerDuty could not be asked) or `incident_unknown` (no API
   * token and no webhooks: nothing could tell). With `gate: off` the last two only warn.
   */
  async checkStart(entry: { record: { id: string }; spec: StoredExperiment['spec'] }, timeoutMs: number): Promise<void> {
    const services = this.linkedServices(entry);
    if (services.length === 0) return;
    const { settings, lookup, log } = this.deps;
    const freeze = this.book.frozen(services);
    if (freeze) {
      throw new FaultlineError('frozen', `service ${freeze.serviceId} is frozen until ${new Date(freeze.until).toISOString()} by ${describeIncident(freeze.incident)}`, {
        service: freeze.serviceId,
        incident: freeze.incident.id,
        until: freeze.until,
      });
    }
    let answer: IncidentInfo[] | undefined;
    let failure: string | undefined;
    if (lookup) {
      try {
        answer = await lookup.openIncidents(services, AbortSignal.timeout(timeoutMs));
      } catch (err) {
        failure = errorText(err);
      }
      if (answer) this.book.reconcile(services, answer);
    }
    const blocking = this.book.open(services)[0];
    if (blocking) {
      const unconfirmed = failure ? ` (known from ${SOURCE_TEXT[blocking.source] ?? blocking.source}; PagerDuty could not be asked again: ${failure})` : '';
      throw new FaultlineError('incident_open', `${describeIncident(blocking)} is open${unconfirmed}; no experiment starts on a service with an open incident`, {
        incident: blocking.id,
        service: blocking.serviceId,
        source: blocking.source,
      });
    }
    const gateOff = settings.gate === 'off';
    if (failure !== undefined) {
      if (gateOff) return log.warn({ experimentId: entry.record.id, services, err: failure }, 'pagerduty lookup failed; starting anyway (pagerduty.gate: off)');
      throw new FaultlineError(
        'incident_lookup_failed',
        `cannot ask PagerDuty for open incidents on ${services.join(', ')}: ${failure}. Nothing starts on a linked service until PagerDuty answers (try again, or set pagerduty.gate: off to start when PagerDuty cannot be asked)`,
        { services, reason: failure },
      );
    }
    if (lookup || settings.webhooks === 'served') return;
    if (gateOff) return log.warn({ experimentId: entry.record.id, services }, 'pagerduty incidents unknown; starting anyway (pagerduty.gate: off)');
    const webhook =
      settings.webhooks === 'not-served'
        ? 'PAGERDUTY_WEBHOOK_SECRET is set, but this bot serves no HTTP for webhooks to reach (in the console set PORT or server.port)'
        : 'neither PAGERDUTY_API_TOKEN nor PAGERDUTY_WEBHOOK_SECRET is set';
    throw new FaultlineError(
      'incident_unknown',
      `cannot tell whether ${services.join(', ')} (linked PagerDuty services) have open incidents: ${webhook}. Set PAGERDUTY_API_TOKEN (a read-only REST key), or PAGERDUTY_WEBHOOK_SECRET with POST /webhooks/pagerduty reachable; or set pagerduty.gate: off to start without the incident gate`,
      { services },
    );
  }

  /**
   * An incident event (webhook or poll): kept in the store, journaled for every run it concerns,
   * aborts a run on a new one, freezes the service on high urgency. `occurredAt` is the event's own
   * time (webhooks), so a late, older delivery does not overwrite what is known.
   */
  observe(incident: IncidentInfo, source: 'webhook' | 'poll', eventType?: string, occurredAt?: number): void {
    const { log, settings } = this.deps;
    let current = true;
    try {
      current = this.book.record(incident, source, occurredAt ?? this.deps.now());
      if (!current) log.info({ incident: incident.id, status: incident.status, eventType }, 'pagerduty incident event older than what is known; not recorded');
      if (current && settings.autoFreeze && incident.urgency === 'high' && incident.status !== 'resolved') {
        const freeze = this.book.freeze(incident, settings.freezeMaxMs);
        if (freeze) log.warn({ service: incident.serviceId, incident: incident.id, until: freeze.until }, 'service frozen by a high-urgency incident');
      }
    } catch (err) {
      // The store failing must not keep a run on a service with a new incident from aborting.
      log.error({ incident: incident.id, err }, 'pagerduty incident not recorded');
    }
    for (const entry of this.deps.repo.running()) {
      if (!this.linkedServices(entry).includes(incident.serviceId)) continue;
      const id = entry.record.id;
      this.deps.journal.record('incident', id, SYSTEM, { ...incident, source, ...(eventType ? { eventType } : {}) });
      const opened = incident.status === 'triggered' || eventType === 'incident.reopened';
      if (opened && entry.record.phase !== 'reverting' && entry.record.phase !== 'postchecking') {
        this.deps.log.warn({ experimentId: id, incident: incident.id, service: incident.serviceId }, 'incident on a linked service; aborting');
        this.deps.abort(id, describeIncident(incident));
      }
    }
  }
}
