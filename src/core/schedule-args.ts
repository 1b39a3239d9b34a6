import { FaultlineError } from './errors.js';
import type { Schedule, SelectorOverride } from './schedule.js';

/** What `/chaos schedule add` was asked for, before the names and the cron are checked against the world. */
export interface AddArgs {
  names: string[];
  cron: string;
  timeZone?: string;
  rotate?: Schedule['rotate'];
  selectors: SelectorOverride[];
  catchUp: boolean;
  channel?: string;
}

const invalid = (field: string, text: string) => new FaultlineError('schedule_invalid', `${field}: ${text}`, { field });

/** `service=web` or `service=web,zone=eu-1` → a selector override. */
export function parseSelector(text: string): SelectorOverride {
  const out: SelectorOverride = {};
  for (const pair of text.split(',')) {
    const m = /^([A-Za-z0-9._/-]+)=([^=\s]+)$/.exec(pair.trim());
    if (!m) throw invalid('--target', `"${text}" is not key=value[,key=value] (e.g. service=checkout)`);
    if (m[1]! in out) throw invalid('--target', `"${text}" names ${m[1]} twice`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

const FLAGS = new Set(['--tz', '--rotate', '--target', '--catch-up', '--channel']);

/**
 * `<name>[,<name>…] "<cron>" [--tz Zone] [--rotate random|in-turn] [--target k=v]… [--catch-up] [--channel #c]`.
 * An unquoted cron is accepted too (the words up to the first flag). Flags may be `--flag value` or `--flag=value`.
 */
export function parseAddArgs(words: readonly string[]): AddArgs {
  const [first, ...rest] = words;
  if (!first) throw invalid('names', 'name a playbook or game day (several: a,b,c)');
  const names = first.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) throw invalid('names', `"${first}" has an empty name`);
  const cronWords: string[] = [];
  let i = 0;
  while (i < rest.length && !rest[i]!.startsWith('--')) cronWords.push(rest[i++]!);
  if (cronWords.length === 0) throw invalid('cron', 'missing; quote a five-field cron expression, e.g. "0 3 * * 1-5"');
  const out: AddArgs = { names, cron: cronWords.join(' '), selectors: [], catchUp: false };
  const seen = new Set<string>();
  while (i < rest.length) {
    const word = rest[i++]!;
    const eq = word.indexOf('=');
    const flag = eq > 0 && word.startsWith('--') ? word.slice(0, eq) : word;
    if (!FLAGS.has(flag)) throw invalid(flag.startsWith('--') ? flag : 'arguments', `unexpected "${word}"; flags are ${[...FLAGS].join(', ')}`);
    if (flag !== '--target' && seen.has(flag)) throw invalid(flag, 'given twice');
    seen.add(flag);
    if (flag === '--catch-up') {
      if (eq > 0) throw invalid(flag, 'takes no value');
      out.catchUp = true;
      continue;
    }
    const value = eq > 0 ? word.slice(eq + 1) : rest[i++];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw invalid(flag, 'needs a value');
    if (flag === '--tz') out.timeZone = value;
    else if (flag === '--channel') out.channel = value;
    else if (flag === '--target') out.selectors.push(parseSelector(value));
    else if (value === 'random' || value === 'in-turn') out.rotate = value;
    else throw invalid('--rotate', `"${value}"; expected random or in-turn`);
  }
  return out;
}
