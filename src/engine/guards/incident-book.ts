import type { Store } from '../../store/index.js';
import type { IncidentFreeze } from '../../core/freeze.js';
import type { IncidentInfo } from '../../core/ports.js';

/** Where the engine learned an incident's state. */
export type IncidentSource = 'webhook' | 'poll' | 'lookup';

/** A service frozen by a high-urgency incident: nothing new starts there until `until` or the incident resolves. */
export type { IncidentFreeze } from '../../core/freeze.js';

const FREEZES_KEY = 'incident-freezes';
/** Resolved incidents are kept this long, so a late, older event for one is recognised as old. */
const KEEP_RESOLVED_MS = 30 * 86_400_000;

/**
 * What the engine knows of incidents, kept in the store so a restarted bot knows it too: the latest
 * state of each incident (open or resolved, service, urgency, when) and the services frozen by
 * high-urgency ones (in `settings`, beside the freeze windows added in chat).
 */
export class IncidentBook {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /**
   * Writes an incident's state as of `asOf` (a webhook event's time, or now for a REST answer).
   * False when the store already holds a newer state (an out-of-order delivery). A resolve lifts the
   * freeze that incident put on its service.
   */
  record(incident: IncidentInfo, source: IncidentSource, asOf: number): boolean {
    const now = this.now();
    const stored = this.store.incidents.put({
      id: incident.id,
      serviceId: incident.serviceId,
      status: incident.status,
      urgency: incident.urgency,
      asOf,
      learnedAt: now,
      source,
      data: { ...incident },
    });
    if (stored && incident.status === 'resolved') {
      this.lift(incident.id);
      this.store.incidents.pruneResolved(now - KEEP_RESOLVED_MS);
    }
    return stored;
  }

  /** Incidents on record as triggered or acknowledged on any of these services, oldest first. */
  open(services: readonly string[]): Array<IncidentInfo & { source: string; asOf: number }> {
    return this.store.incidents.open(services).map((r) => ({ ...(r.data as unknown as IncidentInfo), status: r.status, urgency: r.urgency, serviceId: r.serviceId, source: r.source, asOf: r.asOf }));
  }

  /**
   * A REST answer that lists every open incident on `services`: what it lists is open now; what is on
   * record as open there and it leaves out has been resolved since.
   */
  reconcile(services: readonly string[], open: readonly IncidentInfo[]): void {
    const now = this.now();
    const asked = new Set(services);
    const listed = new Set<string>();
    for (const incident of open) {
      if (!asked.has(incident.serviceId)) continue;
      listed.add(incident.id);
      this.record(incident, 'lookup', now);
    }
    for (const known of this.open(services)) {
      if (listed.has(known.id)) continue;
      const { source: _source, asOf: _asOf, ...incident } = known;
      this.record({ ...incident, status: 'resolved', resolvedAt: incident.resolvedAt ?? now }, 'lookup', now);
    }
  }

  /** The freeze in force on any of these services (the one lasting longest), if any. */
  frozen(services: readonly string[]): IncidentFreeze | undefined {
    const now = this.now();
    let best: IncidentFreeze | undefined;
    for (const f of this.freezes()) {
      if (f.until > now && services.includes(f.serviceId) && (!best || f.until > best.until)) best = f;
    }
    return best;
  }

  /** Freezes the incident's service for `maxMs` unless it is frozen already; the new freeze, or undefined. */
  freeze(incident: IncidentInfo, maxMs: number): IncidentFreeze | undefined {
    if (this.frozen([incident.serviceId])) return undefined;
    const now = this.now();
    const freeze: IncidentFreeze = { serviceId: incident.serviceId, incident, from: now, until: now + maxMs };
    this.write([...this.freezes().filter((f) => f.until > now), freeze]);
    return freeze;
  }

  /** Lifts every freeze this incident put on (it resolved); how many were lifted. */
  lift(incidentId: string): number {
    const all = this.freezes();
    const keep = all.filter((f) => f.incident.id !== incidentId && f.until > this.now());
    if (keep.length !== all.length) this.write(keep);
    return all.filter((f) => f.incident.id === incidentId).length;
  }

  /** Freezes on record, expired ones included until the next write drops them. */
  freezes(): IncidentFreeze[] {
    const raw = this.store.settings.get(FREEZES_KEY);
    return raw ? (JSON.parse(raw) as IncidentFreeze[]) : [];
  }

  /** Freezes in force now (what `/chaos freeze list` shows beside the windows). */
  active(): IncidentFreeze[] {
    const now = this.now();
    return this.freezes().filter((f) => f.until > now);
  }

  private write(freezes: IncidentFreeze[]): void {
    this.store.settings.set(FREEZES_KEY, freezes.length > 0 ? JSON.stringify(freezes) : undefined);
  }
}
