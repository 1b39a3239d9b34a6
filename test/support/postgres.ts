import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SyncPgClient } from '../../src/store/postgres/sync-client.js';

/**
 * A real PostgreSQL server for a test file: Debian's `postgresql` binaries, a cluster made with
 * `initdb` in a temporary folder, started with `pg_ctl` on a free loopback port, stopped and removed
 * afterwards. PostgreSQL refuses to run as root, so as root the cluster belongs to `nobody`.
 */
export interface PostgresServer {
  /** postgres://faultline@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  url: string;
  port: number;
  /** The server's log, for a failing test to show. */
  logFile: string;
  /** Stops the server (its connections cut) and starts it again on the same port. fsync is off, so a
   * crash-like immediate stop would lose what was committed: this one shuts down cleanly. */
  restart?(): void;
  stop(): Promise<void>;
}

/** Where Debian puts the server binaries (`/usr/lib/postgresql/<major>/bin`), newest major first; null if none. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const m of majors) {
    const bin = path.join(root, m, 'bin');
    if (existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const NOBODY = { uid: 65534, gid: 65534 };

function run(bin: string, args: string[], asUser: { uid: number; gid: number } | undefined, what: string): void {
  const res = spawnSync(bin, args, { encoding: 'utf8', ...(asUser ?? {}), env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
  if (res.status !== 0) throw new Error(`${what} failed (exit ${res.status}): ${res.stderr || res.stdout || res.error?.message}`);
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql); .ci/run installs it');
  const asUser = process.getuid?.() === 0 ? NOBODY : undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-pg-'));
  if (asUser) chownSync(dir, asUser.uid, asUser.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  run(path.join(bin, 'initdb'), ['-D', data, '-U', 'faultline', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], asUser, 'initdb');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    // fsync off and a socket in the temp folder: a throwaway cluster that never touches /var/run.
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      run(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', logFile, '-w', '-t', '30', 'start'], asUser, 'pg_ctl start');
    } catch (err) {
      // Another process took the port between the probe and the start: try another.
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://faultline@127.0.0.1:${port}/postgres`,
      port,
      logFile,
      restart: () => run(path.join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', logFile, '-m', 'fast', '-w', '-t', '30', 'restart'], asUser, 'pg_ctl restart'),
      stop: () =>
        (stopped ??= (async () => {
          try {
            run(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], asUser, 'pg_ctl stop');
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        })()),
    };
  }
}

/**
 * The run's shared server (started once by `postgres-global.ts`) when there is one; a server of its
 * own otherwise. `stop()` stops only a server this call started.
 */
export async function usePostgres(): Promise<PostgresServer> {
  const { inject } = await import('vitest');
  const shared = (inject as (key: string) => string | undefined)('postgresUrl');
  if (!shared) return startPostgres();
  const port = Number(new URL(shared).port);
  return { url: shared, port, logFile: '', stop: async () => {} };
}

let databases = 0;

/**
 * A new, empty database on `server` for one test or file (the server is shared by the whole run):
 * its URL, and `drop()` to remove it (connections still open to it are cut).
 */
export function createDatabase(server: PostgresServer, prefix = 'test', opts: { template?: string } = {}): { url: string; drop(): void } {
  const name = `${prefix}_${process.pid}_${++databases}`;
  const admin = () => new SyncPgClient(server.url);
  const run = (sql: string) => {
    const c = admin();
    try {
      c.query(sql);
    } finally {
      c.close();
    }
  };
  run(`CREATE DATABASE ${name}${opts.template ? ` TEMPLATE ${opts.template}` : ''}`);
  return { url: server.url.replace(/\/postgres$/, `/${name}`), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
