/** The default of `playbooks.maxFileBytes`: a larger file is refused unread. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;

/** How deep maps and lists may nest in a playbook; real playbooks need fewer than ten levels. */
export const MAX_NESTING = 64;

/** Problems listed per file; the rest are counted, so one broken file cannot flood the output. */
export const MAX_PROBLEMS_PER_FILE = 50;

export interface LoadOptions {
  /** Files larger than this are refused before they are read (`playbooks.maxFileBytes`). */
  maxFileBytes?: number;
}

/** `1.2 MiB`, `512 KiB`, `900 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${trim(n / (1024 * 1024))} MiB`;
  if (n >= 1024) return `${trim(n / 1024)} KiB`;
  return `${n} bytes`;
}

const trim = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
