import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses "500ms", "30s", "5m", "1h" (or a compound like "1m30s") into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const parts = text.trim().match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g);
  if (!parts || parts.join('') !== text.trim()) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = PATTERN.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('');
}

// A bare number is refused with a hint: it would be read as milliseconds by some and seconds by others.
const durationText = (example: string) =>
  z.string({
    error: (issue) => (issue.input === undefined ? undefined : `expected a duration written with its unit, like "${example}", got ${JSON.stringify(issue.input)}`),
  });

/** A duration written as text in YAML ("30s"), parsed to milliseconds. */
export const Duration = durationText('30s')
  .describe('a duration such as "500ms", "30s", "5m", "1h" or "1m30s"')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive duration like "30s" or "5m", got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });

/** Like `Duration`, but "0s" is allowed too (a backoff that does not wait). */
export const DurationOrZero = durationText('200ms')
  .describe('a duration such as "0s", "200ms" or "2s"')
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "200ms" or "0s", got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
