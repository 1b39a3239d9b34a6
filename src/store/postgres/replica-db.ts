import pg from 'pg';
import { FaultlineError, wrapError } from '../../core/errors.js';
import { redactedUrl } from '../sql/sql-db.js';
import type { FenceToken } from '../leases.js';

/** The channels replicas speak on: a command handed over, its answer, the lease let go. */
export const CHANNELS = { commands: 'faultline_commands', replies: 'faultline_replies', lease: 'faultline_lease' } as const;

export interface LeaseState {
  holder: string;
  epoch: number;
  /** Milliseconds until it expires by the server's clock (0 when expired). */
  leftMs: number;
}

export interface HandoffRow {
  id: number;
  createdAt: number;
  urgent: boolean;
  payload: unknown;
}

export interface ReplicaDbOptions {
  /** A statement that takes longer fails (the replica then says it cannot reach the database). */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * What replicas share through PostgreSQL, asynchronously (the chat path must never block on a
 * database that hangs): the leader lease, commands handed from followers to the leader, and the
 * LISTEN/NOTIFY channels that make both immediate. The store itself (journal, snapshots) stays the
 * synchronous Store; these rows are the replicas' own.
 */
export class ReplicaDb {
  private readonly pool: pg.Pool;
  readonly where: string;

  constructor(
    readonly url: string,
    opts: ReplicaDbOptions = {},
  ) {
    this.where = redactedUrl(url);
    const timeout = opts.statementTimeoutMs ?? 2000;
    this.pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
      // Client-side too: a server that stopped answering (not refusing) must not hold a command up.
      query_timeout: timeout,
      statement_timeout: timeout,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
    });
    // A connection dropped while idle is the pool's to replace; the next query says what is wrong.
    this.pool.on('error', () => undefined);
  }

  private async query<R>(op: string, sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      const res = await this.pool.query(sql, params);
      return res.rows as R[];
    } catch (err) {
      throw wrapError('replica_unavailable', `replica ${op} failed (${this.where})`, err, { op });
    }
  }

  /** Whether a statement round-trips now (readiness). */
  async ping(): Promise<boolean> {
    try {
      await this.query('ping', 'SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  // ---- the lease ----------------------------------------------------------------------------

  /** Takes the lease if nobody holds it (or it expired): the new epoch, or null when another holds it. */
  async acquire(holder: string, ttlMs: number, now: number): Promise<number | null> {
    const rows = await this.query<{ epoch: string }>(
      'lease.acquire',
      `INSERT INTO leader_lease AS l (id, holder, epoch, acquired_at, expires_at)
         VALUES (1, $1, 1, $2, now() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, epoch = l.epoch + 1, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
         WHERE l.expires_at <= now()
       RETURNING epoch`,
      [holder, now, ttlMs],
    );
    return rows[0] ? Number(rows[0].epoch) : null;
  }

  /** Extends a lease still held: false when it expired or another replica took it (then this one leads no more). */
  async renew(token: FenceToken, ttlMs: number): Promise<boolean> {
    const rows = await this.query(
      'lease.renew',
      `UPDATE leader_lease SET expires_at = now() + make_interval(secs => $3::double precision / 1000)
       WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > now() RETURNING epoch`,
      [token.holder, token.epoch, ttlMs],
    );
    return rows.length === 1;
  }

  /** Lets the lease go (clean shutdown) and tells the followers, so one takes over at once. */
  async release(token: FenceToken): Promise<void> {
    await this.query('lease.release', 'UPDATE leader_lease SET expires_at = now() WHERE id = 1 AND holder = $1 AND epoch = $2', [token.holder, token.epoch]);
    await this.query('lease.notify', 'SELECT pg_notify($1, $2)', [CHANNELS.lease, String(token.epoch)]);
  }

  async lease(): Promise<LeaseState | null> {
    const rows = await this.query<{ holder: string; epoch: string; left_ms: string }>(
      'lease.read',
      `SELECT holder, epoch, GREATEST(0, EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::bigint AS left_ms FROM leader_lease WHERE id = 1`,
    );
    const r = rows[0];
    return r ? { holder: r.holder, epoch: Number(r.epoch), leftMs: Number(r.left_ms) } : null;
  }

  // ---- requests already handled (the store's seen_requests, for the replay guard) -----------

  /** `SeenRequests.firstTime`, asynchronously: true the first time `key` is offered while live. */
  async firstTime(key: string, now: number, expiresAt: number): Promise<boolean> {
    const rows = await this.query(
      'seen_requests.firstTime',
      // An expired row is taken over by the upsert; the leader's store purges the rest.
      `INSERT INTO seen_requests (key, seen_at, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at
         WHERE seen_requests.expires_at <= excluded.seen_at
       RETURNING key`,
      [key, now, expiresAt],
    );
    return rows.length === 1;
  }

  // ---- commands handed over -----------------------------------------------------------------

  /** Queues a command for the leader and wakes it; returns the row's id. */
  async submit(payload: unknown, urgent: boolean, now: number): Promise<number> {
    const rows = await this.query<{ id: string }>(
      'handoff.submit',
      `WITH row AS (INSERT INTO command_handoffs (created_at, urgent, payload, state) VALUES ($1, $2, $3, 'pending') RETURNING id)
       SELECT id, pg_notify($4, id::text) FROM row`,
      [now, urgent, JSON.stringify(payload), CHANNELS.commands],
    );
    return Number(rows[0]!.id);
  }

  /**
   * The next pending command (abort and halt first), taken by `token`, which must still hold the
   * lease: a leader that lost it takes nothing. Null when none waits.
   */
  async take(token: FenceToken): Promise<HandoffRow | null> {
    const rows = await this.query<{ id: string; created_at: string; urgent: boolean; payload: string }>(
      'handoff.take',
      `UPDATE command_handoffs SET state = 'taken', taken_by = $1, taken_epoch = $2
       WHERE id = (SELECT id FROM command_handoffs WHERE state = 'pending' ORDER BY urgent DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         AND EXISTS (SELECT 1 FROM leader_lease WHERE id = 1 AND holder = $1 AND epoch = $2 AND expires_at > now())
       RETURNING id, created_at, urgent, payload`,
      [token.holder, token.epoch],
    );
    const r = rows[0];
    if (!r) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(r.payload);
    } catch {
      payload = null;
    }
    return { id: Number(r.id), createdAt: Number(r.created_at), urgent: r.urgent, payload };
  }

  /** Stores a taken command's answer and wakes the replica waiting for it. */
  async complete(id: number, reply: unknown): Promise<void> {
    await this.query(
      'handoff.complete',
      `WITH row AS (UPDATE command_handoffs SET state = 'done', reply = $2 WHERE id = $1 AND state = 'taken' RETURNING id)
       SELECT pg_notify($3, id::text) FROM row`,
      [id, JSON.stringify(reply), CHANNELS.replies],
    );
  }

  /** Withdraws a command nobody took yet: true if withdrawn, false if a leader has it already. */
  async abandon(id: number): Promise<boolean> {
    const rows = await this.query('handoff.abandon', `UPDATE command_handoffs SET state = 'abandoned' WHERE id = $1 AND state = 'pending' RETURNING id`, [id]);
    return rows.length === 1;
  }

  /** The answer to a command, once there. */
  async reply(id: number): Promise<{ state: string; reply: unknown } | null> {
    const rows = await this.query<{ state: string; reply: string | null }>('handoff.reply', 'SELECT state, reply FROM command_handoffs WHERE id = $1', [id]);
    const r = rows[0];
    if (!r) return null;
    return { state: r.state, reply: r.reply === null ? null : (JSON.parse(r.reply) as unknown) };
  }

  /** Forgets answered and withdrawn commands older than `before`. */
  async purge(before: number): Promise<number> {
    const rows = await this.query('handoff.purge', `DELETE FROM command_handoffs WHERE created_at < $1 AND state IN ('done', 'abandoned') RETURNING id`, [before]);
    return rows.length;
  }

  /**
   * Listens on the replicas' channels over one dedicated connection, connecting again when it drops
   * (what was sent meanwhile is lost: the callers poll as well, at a slower pace).
   */
  listen(onNotice: (channel: string, payload: string) => void, onError: (err: unknown) => void): { close(): Promise<void> } {
    const url = this.url;
    let client: pg.Client | null = null;
    let closed = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = () => {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      client = c;
      const again = (err: unknown) => {
        if (client !== c) return;
        client = null;
        onError(err);
        void c.end().catch(() => undefined);
        if (!closed) retry = setTimeout(connect, 1000).unref();
      };
      c.on('error', again);
      c.on('end', () => again(new Error('the LISTEN connection ended')));
      c.on('notification', (n) => onNotice(n.channel, n.payload ?? ''));
      c.connect()
        .then(() => c.query(`LISTEN ${CHANNELS.commands}; LISTEN ${CHANNELS.replies}; LISTEN ${CHANNELS.lease}`))
        .catch(again);
    };
    connect();
    return {
      close: async () => {
        closed = true;
        clearTimeout(retry);
        const c = client;
        client = null;
        await c?.end().catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

/** A store URL that is PostgreSQL, for replicas; anything else is not theirs. */
export function replicaUrl(url: string | undefined): string {
  if (!url || !/^postgres(ql)?:\/\//.test(url)) throw new FaultlineError('config_invalid', 'replicas need a PostgreSQL store (store.url or DATABASE_URL)');
  return url;
}
