import { parser } from '@prometheus-io/lezer-promql';

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/**
 * Parses PromQL with the Prometheus project's own grammar (the one its UI uses) and returns the first
 * syntax error as a sentence with its place in the query (`PromQL syntax error at 1:14 near "by"`),
 * or null when the query parses. It knows the syntax only: an unknown metric or a wrong argument type
 * is Prometheus's to say (`faultline validate --check` asks it).
 */
export function promqlSyntaxError(query: string): string | null {
  let at: number | undefined;
  parser.parse(query).iterate({
    enter(node) {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  if (at === undefined) return null;
  const { line, column } = lineColumn(query, at);
  const rest = query.slice(at).split('\n')[0]!.trim();
  const near = rest.length === 0 ? 'at the end of the query' : `near "${rest.length > 24 ? `${rest.slice(0, 24)}…` : rest}"`;
  return `PromQL syntax error at ${line}:${column} ${near}`;
}
