import { LineCounter, parseDocument, type Document } from 'yaml';
import { MAX_NESTING } from './limits.js';
import { findRunawayNesting } from './nesting-prescan.js';
import { problemText } from './problem-text.js';
import { checkYamlStructure } from './yaml-structure.js';

export type ParsedPlaybook =
  | {
      doc: Document;
      /** The 1-based line of an offset in the text. */
      lineOf: (offset: number) => number;
      /** The plain value, present unless a problem forbids converting the document. */
      raw?: unknown;
      /** YAML-level problems, each as `<field path> (line N): <message>` or `YAML: <message>`. */
      problems: string[];
    }
  /** Refused before it was parsed. */
  | { doc?: undefined; raw?: undefined; problems: string[] };

const tooDeep = (line: number | undefined) => `YAML (line ${line ?? '?'}): nested too deeply to parse; a playbook may nest at most ${MAX_NESTING} levels`;

/**
 * Parses a playbook's text in time linear in its size: yaml's quadratic duplicate-key check is off
 * (checkYamlStructure does it), and aliases are refused before the document is turned into values,
 * so nothing is ever expanded; runaway nesting is refused before parsing. Throws nothing for any input.
 */
export function parsePlaybookYaml(text: string): ParsedPlaybook {
  const runaway = findRunawayNesting(text);
  if (runaway !== undefined) {
    const line = text.slice(0, runaway).split('\n').length;
    return { problems: [tooDeep(line)] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => (e.code === 'RESOURCE_EXHAUSTION' ? tooDeep(e.linePos?.[0].line) : `YAML: ${e.message.split('\n')[0]}`));
    return { doc, lineOf, problems };
  }
  const structure = checkYamlStructure(doc, lineOf);
  const problems = structure.map((p) => problemText(p.path, p.offset === undefined ? undefined : lineOf(p.offset), p.message));
  if (structure.some((p) => p.blocking)) return { doc, lineOf, problems };
  // maxAliasCount 0 is a second guard: there are no aliases left to expand at this point.
  return { doc, lineOf, problems, raw: doc.toJS({ maxAliasCount: 0 }) };
}
