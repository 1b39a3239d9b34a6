import { randomBytes } from 'node:crypto';
import { activeFreeze, type ActiveFreeze, type FreezeWindow } from '../../core/freeze.js';
import type { Store } from '../../store/index.js';

const KEY = 'freeze-windows';

/**
 * Freeze windows: the configured ones (recurring weekends, deploy freezes) plus the one-off windows
 * people add in chat, persisted so a restart keeps them. Expired one-off windows are dropped on write.
 */
export class FreezeWindows {
  constructor(
    private readonly store: Store,
    private readonly configured: readonly FreezeWindow[],
    private readonly now: () => number,
  ) {}

  private stored(): FreezeWindow[] {
    const raw = this.store.settings.get(KEY);
    return raw ? (JSON.parse(raw) as FreezeWindow[]) : [];
  }

  all(): FreezeWindow[] {
    return [...this.configured, ...this.stored()];
  }

  active(): ActiveFreeze | null {
    return activeFreeze(this.all(), this.now());
  }

  add(from: number, to: number, reason: string, by: string): Extract<FreezeWindow, { kind: 'once' }> {
    const window: Extract<FreezeWindow, { kind: 'once' }> = { id: `frz-${randomBytes(3).toString('hex')}`, kind: 'once', from, to, reason, by };
    const keep = this.stored().filter((w) => w.kind !== 'once' || w.to > this.now());
    this.store.settings.set(KEY, JSON.stringify([...keep, window]));
    return window;
  }

  /** Removes a window added in chat; configured windows change only in the config file. */
  remove(id: string): boolean {
    const list = this.stored();
    const next = list.filter((w) => w.id !== id);
    if (next.length === list.length) return false;
    this.store.settings.set(KEY, JSON.stringify(next));
    return true;
  }
}
