import { z } from 'zod';

/** How much of the selected set a fault may touch. Written `one | all | count:N | percent:P`. */
export const BlastRadius = z
  .string()
  .describe('one | all | count:N | percent:P (P in 1..100)')
  .transform((text, ctx) => {
    const parsed = parseBlastRadius(text);
    if (!parsed) {
      ctx.addIssue({ code: 'custom', message: `expected one | all | count:N | percent:P, got "${text}"` });
      return z.NEVER;
    }
    return parsed;
  });

export type BlastRadius =
  | { kind: 'one' }
  | { kind: 'all' }
  | { kind: 'count'; n: number }
  | { kind: 'percent'; n: number };

export function parseBlastRadius(text: string): BlastRadius | undefined {
  const t = text.trim();
  if (t === 'one') return { kind: 'one' };
  if (t === 'all') return { kind: 'all' };
  const m = /^(count|percent):(\d+)$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (n < 1) return undefined;
  if (m[1] === 'percent') return n <= 100 ? { kind: 'percent', n } : undefined;
  return { kind: 'count', n };
}

export function formatBlastRadius(b: BlastRadius): string {
  return b.kind === 'one' || b.kind === 'all' ? b.kind : `${b.kind}:${b.n}`;
}

/** How many of `available` items the radius selects (percent rounds up, so it is never zero). */
export function radiusCount(b: BlastRadius, available: number): number {
  switch (b.kind) {
    case 'one':
      return Math.min(1, available);
    case 'all':
      return available;
    case 'count':
      return Math.min(b.n, available);
    case 'percent':
      return Math.min(available, Math.ceil((available * b.n) / 100));
  }
}
