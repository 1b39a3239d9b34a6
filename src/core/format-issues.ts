import type { z } from 'zod';

/** zod's wording for an absent field, said the way a person would. */
export function humanMessage(message: string): string {
  const m = /^Invalid input: expected (.+), received undefined$/.exec(message);
  return m ? `missing (expected ${m[1]})` : message;
}

/** One line per problem: the field path (as written in YAML) and what was expected. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], prefix: ReadonlyArray<string | number> = []): string {
  return issues.map((i) => `  - ${formatPath([...prefix, ...(i.path as Array<string | number>)])}: ${humanMessage(i.message)}`).join('\n');
}

export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  if (p.length === 0) return '(top level)';
  return p.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), '');
}
