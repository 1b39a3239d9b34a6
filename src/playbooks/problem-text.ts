import { formatPath } from '../core/format-issues.js';
import { MAX_PROBLEMS_PER_FILE } from './limits.js';

const SHOWN_SEGMENTS = 12;
const SEGMENT_CHARS = 60;

/** A key as shown in a path or a message, shortened when it is very long. */
export const shortKey = (key: string): string => (key.length > SEGMENT_CHARS ? `${key.slice(0, SEGMENT_CHARS - 1)}…` : key);

/** `<field path> (line N): <message>`, the one shape every problem of a playbook is printed in. */
export function problemText(path: ReadonlyArray<string | number>, line: number | undefined, message: string): string {
  const head = path.slice(0, SHOWN_SEGMENTS).map((s) => (typeof s === 'string' ? shortKey(s) : s));
  const shown = path.length > SHOWN_SEGMENTS ? [...head, `… (${path.length - SHOWN_SEGMENTS} levels more)`] : head;
  return `${formatPath(shown)}${line === undefined ? '' : ` (line ${line})`}: ${message}`;
}

const MAX_PROBLEM_CHARS = 500;
const clip = (s: string) => (s.length > MAX_PROBLEM_CHARS ? `${s.slice(0, MAX_PROBLEM_CHARS - 1)}…` : s);

/**
 * Drops repeats (same text), keeps the first MAX_PROBLEMS_PER_FILE and counts the rest, and
 * shortens any problem longer than MAX_PROBLEM_CHARS (a message may quote a huge value or key).
 */
export function capProblems(problems: readonly string[], max = MAX_PROBLEMS_PER_FILE): string[] {
  const unique = [...new Set(problems.map(clip))];
  if (unique.length <= max) return unique;
  return [...unique.slice(0, max), `… and ${unique.length - max} more problems in this file`];
}
