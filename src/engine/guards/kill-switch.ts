import type { Store } from '../../store/index.js';

const KEY = 'halt';

/** The org-wide kill switch, persisted so a restart does not silently resume chaos. */
export class KillSwitch {
  constructor(private readonly store: Store) {}

  state(): { reason: string; by: string; at: number } | null {
    const raw = this.store.settings.get(KEY);
    return raw ? (JSON.parse(raw) as { reason: string; by: string; at: number }) : null;
  }

  halt(by: string, reason: string, at: number): void {
    this.store.settings.set(KEY, JSON.stringify({ by, reason, at }));
  }

  resume(): void {
    this.store.settings.set(KEY, undefined);
  }
}
