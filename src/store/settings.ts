import type Database from 'better-sqlite3';
import { guard } from './store-error.js';

/** Small key/value settings (e.g. the halt switch). Setting `undefined` deletes the key. */
export interface Settings {
  get(key: string): string | undefined;
  set(key: string, value: string | undefined): void;
}

export function createSettings(db: Database.Database, path: string): Settings {
  const getStmt = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const setStmt = db.prepare<[string, string]>(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const deleteStmt = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');

  return {
    get(key) {
      return guard(db, path, 'settings.get', () => getStmt.get(key)?.value);
    },
    set(key, value) {
      guard(db, path, 'settings.set', () => {
        if (value === undefined) deleteStmt.run(key);
        else setStmt.run(key, value);
      });
    },
  };
}
