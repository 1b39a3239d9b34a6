import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import { MIGRATIONS, openStore, runMigrations, type Migration } from '../../src/store/index.js';
import { applyPragmas } from '../../src/store/open-store.js';
import { tempDir } from './temp-dir.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const latest = MIGRATIONS.at(-1)!.version;

function migrationRows(path: string): Array<{ version: number; applied_at: number }> {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare<[], { version: number; applied_at: number }>('SELECT version, applied_at FROM schema_migrations ORDER BY version').all();
  } finally {
    raw.close();
  }
}

describe('openStore', () => {
  it('creates parent folders and turns on WAL, busy_timeout and foreign keys', () => {
    const path = join(tmp.dir, 'nested', 'deeper', 'faultline.db');
    const store = openStore({ path });
    expect(store.path).toBe(path);
    store.close();
    expect(existsSync(path)).toBe(true);

    const raw = new Database(path);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal'); // WAL is persistent in the file
    raw.close();
  });

  it('configures each connection with WAL, busy_timeout=5000 and foreign_keys=ON', () => {
    const db = new Database(tmp.file());
    applyPragmas(db);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('waits for a lock held by another process instead of failing (busy_timeout)', async () => {
    const path = tmp.file();
    openStore({ path }).close();
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]);
         db.exec('BEGIN IMMEDIATE'); console.log('locked');
         const until = Date.now() + 400; while (Date.now() < until) {}
         db.exec('COMMIT'); db.close();`,
        path,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    const store = openStore({ path });
    const event = store.append({ at: 1, actor: 'u', kind: 'k' }); // blocks until the holder commits
    expect(event.seq).toBe(1);
    store.close();
    await new Promise((resolve) => holder.once('exit', resolve));
  });

  it('accepts :memory:', () => {
    const store = openStore({ path: ':memory:' });
    store.append({ at: 1, actor: 'u', kind: 'k' });
    expect(store.verifyAudit()).toMatchObject({ ok: true, count: 1 });
    store.close();
  });

  it('applies every migration once and re-runs nothing on reopen', () => {
    const path = tmp.file();
    openStore({ path }).close();
    const first = migrationRows(path);
    expect(first.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));

    const store = openStore({ path });
    store.append({ at: 1, actor: 'u', kind: 'k' });
    store.settings.set('a', 'b');
    store.close();
    openStore({ path }).close();

    expect(migrationRows(path)).toEqual(first);
    const again = openStore({ path });
    expect(again.events()).toHaveLength(1);
    expect(again.settings.get('a')).toBe('b');
    again.close();
  });

  it('runMigrations reports what it applied and applies a new step exactly once', () => {
    const db = new Database(tmp.file());
    let runs = 0;
    const extra: Migration = {
      version: latest + 1,
      name: 'test step',
      up(d) {
        runs += 1;
        d.exec('CREATE TABLE extra (x INTEGER)');
      },
    };
    expect(runMigrations(db, 'test.db', MIGRATIONS)).toEqual({ version: latest, applied: MIGRATIONS.map((m) => m.version) });
    expect(runMigrations(db, 'test.db', [...MIGRATIONS, extra])).toEqual({ version: latest + 1, applied: [latest + 1] });
    expect(runMigrations(db, 'test.db', [...MIGRATIONS, extra])).toEqual({ version: latest + 1, applied: [] });
    expect(runs).toBe(1);
    db.close();
  });

  it('rolls a failing migration back entirely', () => {
    const db = new Database(tmp.file());
    runMigrations(db, 'test.db');
    const broken: Migration = {
      version: latest + 1,
      name: 'broken',
      up(d) {
        d.exec('CREATE TABLE half (x INTEGER)');
        d.exec('THIS IS NOT SQL');
      },
    };
    expect(() => runMigrations(db, 'test.db', [...MIGRATIONS, broken])).toThrow();
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: latest });
    db.close();
  });

  it('refuses a migration list that is out of order', () => {
    const db = new Database(':memory:');
    const [first, second] = MIGRATIONS;
    expect(() => runMigrations(db, 'x.db', [second!, first!])).toThrow(/out of order/);
    db.close();
  });

  it('refuses a database written by a newer Faultline, naming both versions', () => {
    const path = tmp.file();
    openStore({ path }).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(99, Date.now());
    raw.close();

    let caught: unknown;
    try {
      openStore({ path });
    } catch (err) {
      caught = err;
    }
    expect(isFaultlineError(caught, 'store_error')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain('99');
    expect(message).toContain(`(${latest})`);
    expect(message).toContain(path);
  });

  it('wraps SQLite failures as store_error naming the path', () => {
    // A directory where the file should be: SQLite cannot open it.
    expect(() => openStore({ path: tmp.dir })).toThrow(expect.objectContaining({ code: 'store_error', message: expect.stringContaining(tmp.dir) }));
    expect(() => openStore({ path: '' })).toThrow(expect.objectContaining({ code: 'store_error' }));
  });

  it('reports use after close as store_error; close is idempotent', () => {
    const store = openStore({ path: tmp.file() });
    store.close();
    store.close();
    expect(() => store.append({ at: 1, actor: 'u', kind: 'k' })).toThrow(expect.objectContaining({ code: 'store_error', message: expect.stringContaining('closed') }));
    expect(() => store.settings.get('x')).toThrow(expect.objectContaining({ code: 'store_error' }));
    expect(() => store.transaction(() => 1)).toThrow(expect.objectContaining({ code: 'store_error' }));
    expect(() => store.verifyAudit()).toThrow(expect.objectContaining({ code: 'store_error' }));
  });
});
