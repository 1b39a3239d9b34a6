import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/**
 * Temp directories for one test file, each removed after the test that made it. Call at the top level of
 * the file (it registers an afterEach). `dir()` makes one; `file(text, name)` writes a file into a new one.
 */
export function tempFiles(prefix = 'faultline-cfg-'): { dir: () => string; file: (text: string, name?: string) => string } {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dir = () => {
    const made = mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(made);
    return made;
  };
  return {
    dir,
    file(text, name = 'c.yaml') {
      const file = path.join(dir(), name);
      writeFileSync(file, text);
      return file;
    },
  };
}
