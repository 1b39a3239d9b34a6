import { createServer } from 'node:net';
import pg from 'pg';
import { openStore } from '../../src/store/index.js';
import { CHANNELS } from '../../src/store/postgres/replica-db.js';
import { createDatabase, type PostgresServer } from '../support/postgres.js';

/** A new database with the store's schema (migration 8: leader_lease, command_handoffs); `drop()` removes it. */
export function replicaDatabase(server: PostgresServer, prefix: string): { url: string; drop(): void } {
  const db = createDatabase(server, prefix);
  openStore({ url: db.url }).close();
  return db;
}

/** Polls `probe` every 20 ms until it is true; fails after `timeoutMs`, naming what it waited for. */
export async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A loopback port with nothing listening on it (a server bound, then closed). */
export function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Raw SQL on the test database, outside the code under test (one short connection per call). */
export async function sql<R>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as R[];
  } finally {
    await c.end();
  }
}

/**
 * Whether a session on this database has run its LISTEN (ReplicaDb.listen says nothing when it is
 * ready, so a test waits for it before it sends what it expects to hear).
 */
export async function listening(url: string, count = 1): Promise<boolean> {
  const rows = await sql<{ n: string }>(
    url,
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle' AND query LIKE $1`,
    [`LISTEN ${CHANNELS.commands}%`],
  );
  return Number(rows[0]!.n) >= count;
}

/** Empties what replicas share (the lease, the hand-overs, the requests seen), so each test starts from nothing. */
export async function clearReplicaTables(url: string): Promise<void> {
  await sql(url, 'TRUNCATE leader_lease, command_handoffs, seen_requests RESTART IDENTITY');
}
