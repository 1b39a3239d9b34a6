import { placeholders, type SqlDb } from './sql/sql-db.js';
import { z } from 'zod';
import { guard } from './store-error.js';

/** What Faultline last learned of one incident (PagerDuty's), and when that was true. */
export const IncidentRow = z.object({
  id: z.string().min(1),
  serviceId: z.string().min(1),
  status: z.enum(['triggered', 'acknowledged', 'resolved']),
  urgency: z.enum(['high', 'low']),
  /** When this state held: a webhook event's `occurred_at`, or when a REST answer said so. */
  asOf: z.number().int(),
  /** When Faultline wrote it down. */
  learnedAt: z.number().int(),
  /** `webhook`, `poll` or `lookup` (the start gate's own REST call). */
  source: z.string().min(1),
  /** The incident as the engine sees it (title, number, url, times, …). */
  data: z.record(z.string(), z.unknown()),
});
export type IncidentRow = z.infer<typeof IncidentRow>;

export interface IncidentRecords {
  /**
   * Records an incident's state unless what is on record is newer (a later `asOf`): webhooks may
   * arrive out of order, and a late `triggered` must not reopen a resolved incident. True when stored.
   */
  put(row: IncidentRow): boolean;
  get(id: string): IncidentRow | undefined;
  /** Triggered or acknowledged incidents on any of these services, oldest first. */
  open(serviceIds: readonly string[]): IncidentRow[];
  /** Every incident on record for these services learned since `since` (any state), oldest first. */
  onServices(serviceIds: readonly string[], since: number): IncidentRow[];
  /** Forgets resolved incidents recorded before `before`; returns how many. */
  pruneResolved(before: number): number;
}

interface Row {
  id: string;
  service_id: string;
  status: IncidentRow['status'];
  urgency: IncidentRow['urgency'];
  as_of: number;
  learned_at: number;
  source: string;
  data: string;
}

const fromRow = (r: Row): IncidentRow => ({
  id: r.id,
  serviceId: r.service_id,
  status: r.status,
  urgency: r.urgency,
  asOf: r.as_of,
  learnedAt: r.learned_at,
  source: r.source,
  data: JSON.parse(r.data) as Record<string, unknown>,
});

export function createIncidentRecords(db: SqlDb): IncidentRecords {
  const path = db.where;
  const UPSERT = `INSERT INTO incidents (id, service_id, status, urgency, as_of, learned_at, source, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, status = excluded.status, urgency = excluded.urgency,
       as_of = excluded.as_of, learned_at = excluded.learned_at, source = excluded.source, data = excluded.data
     WHERE excluded.as_of >= incidents.as_of`;
  const COLUMNS = 'id, service_id, status, urgency, as_of, learned_at, source, data';
  return {
    put(row) {
      return guard(db, path, 'incidents.put', () => {
        const r = IncidentRow.parse(row);
        return db.run(UPSERT, [r.id, r.serviceId, r.status, r.urgency, r.asOf, r.learnedAt, r.source, JSON.stringify(r.data)]).changes === 1;
      });
    },
    get(id) {
      return guard(db, path, 'incidents.get', () => {
        const row = db.get<Row>(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`, [id]);
        return row ? fromRow(row) : undefined;
      });
    },
    open(serviceIds) {
      if (serviceIds.length === 0) return [];
      const ids = [...new Set(serviceIds)];
      return guard(db, path, 'incidents.open', () =>
        db
          .all<Row>(`SELECT ${COLUMNS} FROM incidents WHERE status IN ('triggered', 'acknowledged') AND service_id IN (${placeholders(ids.length)}) ORDER BY as_of, id`, ids)
          .map(fromRow),
      );
    },
    onServices(serviceIds, since) {
      if (serviceIds.length === 0) return [];
      const ids = [...new Set(serviceIds)];
      return guard(db, path, 'incidents.onServices', () =>
        db.all<Row>(`SELECT ${COLUMNS} FROM incidents WHERE learned_at >= ? AND service_id IN (${placeholders(ids.length)}) ORDER BY as_of, id`, [since, ...ids]).map(fromRow),
      );
    },
    pruneResolved(before) {
      return guard(db, path, 'incidents.pruneResolved', () => db.run("DELETE FROM incidents WHERE status = 'resolved' AND learned_at < ?", [before]).changes);
    },
  };
}
