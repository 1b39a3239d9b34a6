import { formatDuration } from '../core/duration.js';
import { formatPath } from '../core/format-issues.js';

/**
 * Config fields that held bare milliseconds and now take a duration with its unit. A file that still
 * has the old name gets told the new one instead of an "unrecognized key" (or, under `adapters`,
 * nothing until the adapter parses it).
 */
export const RENAMED_FIELDS: ReadonlyArray<{ path: readonly string[]; to: string; example: string }> = [
  { path: ['pagerduty', 'requestTimeoutMs'], to: 'requestTimeout', example: '5s' },
  { path: ['adapters', 'targets', 'kubernetes', 'requestTimeoutMs'], to: 'requestTimeout', example: '10s' },
  { path: ['adapters', 'targets', 'kubernetes', 'revertBackoffMs'], to: 'revertBackoff', example: '250ms' },
  { path: ['adapters', 'targets', 'process', 'requestTimeoutMs'], to: 'requestTimeout', example: '3s' },
  { path: ['adapters', 'targets', 'process', 'revertBackoffMs'], to: 'revertBackoff', example: '200ms' },
  { path: ['adapters', 'signals', 'pods', 'requestTimeoutMs'], to: 'requestTimeout', example: '10s' },
  { path: ['adapters', 'signals', 'prometheus', 'defaultTimeoutMs'], to: 'defaultTimeout', example: '3s' },
  { path: ['adapters', 'signals', 'http', 'defaultTimeoutMs'], to: 'defaultTimeout', example: '2s' },
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The user's own value in the new form when it is a whole number of ms ("2s" for 2000), else the example. */
function asDuration(value: unknown, example: string): string {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return example;
  return value % 1000 === 0 ? formatDuration(value) : `${value}ms`;
}

/**
 * One line per old field name in the file (`pagerduty.requestTimeoutMs was renamed: use
 * requestTimeout: '5s'`), and the raw object without them, so the parse does not report them again.
 */
export function renamedFields(raw: unknown): { lines: string[]; rest: unknown } {
  const found = RENAMED_FIELDS.filter((r) => {
    const parent = r.path.slice(0, -1).reduce<unknown>((at, key) => (isRecord(at) ? at[key] : undefined), raw);
    return isRecord(parent) && Object.hasOwn(parent, r.path.at(-1)!);
  });
  if (found.length === 0) return { lines: [], rest: raw };
  const rest = structuredClone(raw) as Record<string, unknown>;
  const lines = found.map((r) => {
    const parent = r.path.slice(0, -1).reduce<Record<string, unknown>>((at, key) => at[key] as Record<string, unknown>, rest);
    const old = r.path.at(-1)!;
    const line = `  - ${formatPath(r.path)} was renamed: use ${r.to}: '${asDuration(parent[old], r.example)}' (a duration with its unit: ms, s, m or h)`;
    delete parent[old];
    return line;
  });
  return { lines, rest };
}
