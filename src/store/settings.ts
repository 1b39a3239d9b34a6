import type { SqlDb } from './sql/sql-db.js';
import { guard } from './store-error.js';

/** Small key/value settings (e.g. the halt switch). Setting `undefined` deletes the key. */
export interface Settings {
  get(key: string): string | undefined;
  set(key: string, value: string | undefined): void;
}

export function createSettings(db: SqlDb): Settings {
  const path = db.where;
  return {
    get(key) {
      return guard(db, path, 'settings.get', () => db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key])?.value);
    },
    set(key, value) {
      guard(db, path, 'settings.set', () => {
        if (value === undefined) db.run('DELETE FROM settings WHERE key = ?', [key]);
        else db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
      });
    },
  };
}
