import { SYSTEM } from '../core/actor.js';
import { FaultlineError } from '../core/errors.js';
import type { AdapterLogger } from '../core/ports.js';
import type { ExperimentRepo, StoredExperiment } from './experiment-repo.js';
import type { Journal } from './journal.js';

/** An incident as the engine needs it, whatever system it came from. */
export interface IncidentInfo {
  id: string;
  number?: number | undefined;
  title: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  urgency: 'high' | 'low';
  url: string;
  serviceId: string;
  createdAt: number;
  acknowledgedAt?: number | null | undefined;
  resolvedAt?: number | null | undefined;
}

/** Where open incidents can be asked for (PagerDuty's REST API). */
export interface IncidentLookup {
  openIncidents(serviceIds: readonly string[], signal?: AbortSignal): Promise<IncidentInfo[]>;
}

export interface IncidentSettings {
  /** Services linked to every experiment, on top of each playbook's `pagerduty.services`. */
  linkedServices: readonly string[];
  /** While a high-urgency incident is open on a linked service, nothing new starts there. */
  autoFreeze: boolean;
  /** A freeze lifts by itself after this long even if nobody resolves the incident. */
  freezeMaxMs: number;
}

export const describeIncident = (i: IncidentInfo) => `PagerDuty incident${i.number !== undefined ? ` #${i.number}` : ''} "${i.title}" (${i.status}, ${i.urgency} urgency) on service ${i.serviceId}: ${i.url}`;

/**
 * Ties experiments to on-call reality: refuses starts while a linked service has an open incident
 * (or is frozen by a high-urgency one), and aborts a running experiment the moment an incident opens
 * on a service it is linked to. Every incident seen during a run is journaled for the post-mortem.
 */
export class IncidentWatch {
  private readonly freezes = new Map<string, { incident: IncidentInfo; until: number }>();

  constructor(
    private readonly deps: {
      repo: ExperimentRepo;
      journal: Journal;
      log: AdapterLogger;
      now: () => number;
      settings: IncidentSettings;
      lookup?: IncidentLookup;
      abort: (id: string, reason: string) => void;
    },
  ) {}

  linkedServices(entry: StoredExperiment): string[] {
    return [...new Set([...entry.spec.pagerduty.services, ...this.deps.settings.linkedServices])];
  }

  /** Every service some running experiment is linked to (what the poller watches). */
  watchedServices(): string[] {
    return [...new Set(this.deps.repo.running().flatMap((e) => this.linkedServices(e)))];
  }

  /** Throws `frozen` or `incident_open` when the experiment may not start now. */
  async checkStart(entry: StoredExperiment, timeoutMs: number): Promise<void> {
    const services = this.linkedServices(entry);
    if (services.length === 0) return;
    const now = this.deps.now();
    for (const s of services) {
      const f = this.freezes.get(s);
      if (f && f.until > now) {
        throw new FaultlineError('frozen', `service ${s} is frozen until ${new Date(f.until).toISOString()} by ${describeIncident(f.incident)}`, { service: s, incident: f.incident.id });
      }
      if (f) this.freezes.delete(s);
    }
    if (!this.deps.lookup) return;
    let open: IncidentInfo[];
    try {
      open = await this.deps.lookup.openIncidents(services, AbortSignal.timeout(timeoutMs));
    } catch (err) {
      // Unknown is unhealthy: if we cannot see the incidents we do not start.
      throw new FaultlineError('incident_open', `cannot check PagerDuty for open incidents on ${services.join(', ')}: ${err instanceof Error ? err.message : String(err)}`, { services });
    }
    const blocking = open.find((i) => i.status !== 'resolved');
    if (blocking) {
      throw new FaultlineError('incident_open', `${describeIncident(blocking)} is open; no experiment starts on a service with an open incident`, { incident: blocking.id, service: blocking.serviceId });
    }
  }

  /** An incident event (webhook or poll): journal it for every run it concerns, abort on a new one, freeze on high urgency. */
  observe(incident: IncidentInfo, source: 'webhook' | 'poll', eventType?: string): void {
    const now = this.deps.now();
    if (this.deps.settings.autoFreeze && incident.urgency === 'high') {
      if (incident.status === 'resolved') {
        if (this.freezes.get(incident.serviceId)?.incident.id === incident.id) this.freezes.delete(incident.serviceId);
      } else if (!this.freezes.has(incident.serviceId)) {
        this.freezes.set(incident.serviceId, { incident, until: now + this.deps.settings.freezeMaxMs });
        this.deps.log.warn({ service: incident.serviceId, incident: incident.id }, 'service frozen by a high-urgency incident');
      }
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
