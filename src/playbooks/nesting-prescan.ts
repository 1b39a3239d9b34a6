import { MAX_NESTING } from './limits.js';

/**
 * Nesting this deep is refused before the YAML parser sees the text: the parser spends seconds on
 * half a megabyte of `[[[[` or `- - - -` before it gives up at its own stack limit (about a
 * thousand levels), and no playbook comes near it (MAX_NESTING is checked exactly afterwards).
 */
export const PRESCAN_LIMIT = MAX_NESTING * 16;

const isBlank = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || Number.isNaN(c);

/**
 * The offset where flow brackets (`[`, `{`) or block indicators at the start of one line (`- `,
 * `? `, `: `) first nest deeper than PRESCAN_LIMIT, or undefined. A rough reading, one pass and no
 * allocation: quoted strings and comments are skipped, so brackets in them do not count.
 */
export function findRunawayNesting(text: string): number | undefined {
  let depth = 0;
  let indicators = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      indicators = 0;
      i++;
      continue;
    }
    const next = text.charCodeAt(i + 1);
    if (lineStart) {
      if (c === 32 || c === 9) {
        i++;
        continue;
      }
      if ((c === 45 || c === 63 || c === 58) && isBlank(next)) {
        if (++indicators > PRESCAN_LIMIT) return i;
        i += 2;
        continue;
      }
      lineStart = false;
    }
    const prev = i === 0 ? 10 : text.charCodeAt(i - 1);
    const starts = isBlank(prev) || prev === 91 || prev === 123 || prev === 44 || prev === 58;
    if (c === 35 && isBlank(prev)) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === 39 && starts) i = skipQuoted(text, i + 1, 39);
    else if (c === 34 && starts) i = skipQuoted(text, i + 1, 34);
    else {
      if (c === 91 || c === 123) {
        if (++depth > PRESCAN_LIMIT) return i;
      } else if ((c === 93 || c === 125) && depth > 0) depth--;
      i++;
    }
  }
  return undefined;
}

/** The offset after the closing quote: `''` inside single quotes, `\x` inside double quotes. */
function skipQuoted(text: string, from: number, quote: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote === 34 && c === 92) i++;
    else if (c === quote) {
      if (quote === 39 && text.charCodeAt(i + 1) === 39) i++;
      else return i + 1;
    }
  }
  return text.length;
}
