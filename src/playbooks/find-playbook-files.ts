import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { FaultlineError } from '../core/errors.js';
import { describeFsError } from './read-playbook-file.js';

const PLAYBOOK_NAME = /\.ya?ml$/;

export interface PlaybookScan {
  /** Every entry named *.yaml / *.yml, sorted; whether it can be read is found out when it is. */
  files: string[];
  /** Paths that could not be looked into at all (a missing folder, a folder that cannot be listed). */
  unreadable: Array<{ path: string; problem: string }>;
}

const statOrUndefined = (p: string): Stats | undefined => {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
};

/**
 * Walks the given files and folders without throwing. Inside a folder every entry named like a
 * playbook is listed, even a broken link or a folder called x.yaml, so that the file is reported
 * on its own instead of failing the folder; a folder reached twice (a link loop) is walked once.
 */
export function scanPlaybookPaths(paths: readonly string[]): PlaybookScan {
  const files: string[] = [];
  const unreadable: PlaybookScan['unreadable'] = [];
  const walked = new Set<string>();
  const walkDir = (dir: string, st: Stats) => {
    const id = `${st.dev}:${st.ino}`;
    if (walked.has(id)) return;
    walked.add(id);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      unreadable.push({ path: dir, problem: `cannot list this folder: ${describeFsError(err, dir)}` });
      return;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      if (PLAYBOOK_NAME.test(name)) files.push(p);
      else {
        const sub = statOrUndefined(p);
        if (sub?.isDirectory()) walkDir(p, sub);
      }
    }
  };
  for (const p of paths) {
    try {
      lstatSync(p);
    } catch (err) {
      unreadable.push({ path: p, problem: describeFsError(err, p) });
      continue;
    }
    const st = statOrUndefined(p);
    if (st?.isDirectory()) walkDir(p, st);
    else if (!st || PLAYBOOK_NAME.test(p)) files.push(p);
  }
  return { files, unreadable };
}

/** Throws `playbook_not_found` for a path that does not exist (a broken link exists: it is reported as a file). */
export function assertPathsExist(paths: readonly string[]): void {
  for (const p of paths) {
    try {
      lstatSync(p);
    } catch {
      throw new FaultlineError('playbook_not_found', `${p}: no such file or folder`, { path: p });
    }
  }
}

/**
 * Every .yaml/.yml file under the given paths (files or folders), sorted for stable output.
 * Strict about the paths themselves: one that does not exist throws `playbook_not_found`.
 */
export function findPlaybookFiles(paths: readonly string[]): string[] {
  assertPathsExist(paths);
  return scanPlaybookPaths(paths).files;
}
