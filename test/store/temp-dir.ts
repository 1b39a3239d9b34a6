import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory per test; `cleanup()` removes it. */
export function tempDir(prefix = 'faultline-store-'): { dir: string; file: (name?: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name = 'faultline.db') => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A store in a fresh temp dir for each test of the file, closed and removed after it; `reopen()` is a restart. */
export function storeEachTest(): { tmp: ReturnType<typeof tempDir>; store: Store; reopen(): void } {
  const ctx = {
    reopen() {
      ctx.store.close();
      ctx.store = openStore({ path: ctx.tmp.file() });
    },
  } as { tmp: ReturnType<typeof tempDir>; store: Store; reopen(): void };
  beforeEach(() => {
    ctx.tmp = tempDir();
    ctx.store = openStore({ path: ctx.tmp.file() });
  });
  afterEach(() => {
    ctx.store.close();
    ctx.tmp.cleanup();
  });
  return ctx;
}
