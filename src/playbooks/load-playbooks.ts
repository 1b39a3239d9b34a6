import { errorText } from '../core/errors.js';
import type { Experiment } from '../core/playbook.js';
import { scanPlaybookPaths } from './find-playbook-files.js';
import { DEFAULT_MAX_FILE_BYTES, MAX_PROBLEMS_PER_FILE, type LoadOptions } from './limits.js';
import { parsePlaybookYaml } from './parse-playbook-yaml.js';
import { capProblems, problemText } from './problem-text.js';
import { readPlaybookText } from './read-playbook-file.js';
import { checkGameDayReferences, validateGameDay, type LoadedGameDay } from './validate-gameday.js';
import { validatePlaybook, type AdapterSchemas, type PlaybookProblem } from './validate-playbook.js';

export type { LoadedGameDay } from './validate-gameday.js';
export { assertPathsExist, findPlaybookFiles, scanPlaybookPaths } from './find-playbook-files.js';
export { DEFAULT_MAX_FILE_BYTES, type LoadOptions } from './limits.js';

export interface LoadedPlaybook {
  file: string;
  playbook: Experiment;
}

export interface FileReport {
  file: string;
  ok: boolean;
  name?: string;
  problems: string[];
}

type FileCheck = { report: FileReport; playbook?: Experiment; gameday?: LoadedGameDay };

const refused = (file: string, problems: readonly string[], name?: unknown): FileCheck => ({
  report: { file, ok: false, ...(typeof name === 'string' && name.length > 0 ? { name } : {}), problems: capProblems(problems) },
});

/**
 * Reads, parses and checks one file: every problem of the file at once, YAML problems with their
 * line, schema problems with field path and line. Never throws; whatever goes wrong is the report.
 */
export function checkPlaybookFile(file: string, adapters: AdapterSchemas, vars: Readonly<Record<string, string>>, opts: LoadOptions = {}): FileCheck {
  try {
    return checkFile(file, adapters, vars, opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
  } catch (err) {
    return refused(file, [`could not be checked: ${errorText(err).split('\n')[0]}`]);
  }
}

function checkFile(file: string, adapters: AdapterSchemas, vars: Readonly<Record<string, string>>, maxFileBytes: number): FileCheck {
  const read = readPlaybookText(file, maxFileBytes);
  if (!read.ok) return refused(file, [read.problem]);
  const parsed = parsePlaybookYaml(read.text);
  if (!parsed.doc || parsed.raw === undefined) return refused(file, parsed.problems);
  const { doc, lineOf } = parsed;
  const where = (p: PlaybookProblem) => {
    const node = doc.getIn(p.path, true) as { range?: [number, number] } | undefined;
    return problemText(p.path, node?.range ? lineOf(node.range[0]) : undefined, p.message);
  };
  // Lines only for the problems that will be shown: each look-up walks the document from the top.
  const located = (list: readonly PlaybookProblem[]) => [
    ...parsed.problems,
    ...list.map((p, i) => (i < MAX_PROBLEMS_PER_FILE ? where(p) : problemText(p.path, undefined, p.message))),
  ];
  if ((parsed.raw as { kind?: unknown } | null)?.kind === 'GameDay') {
    const gd = validateGameDay(parsed.raw, adapters, vars);
    if (!gd.ok) return refused(file, located(gd.problems));
    if (parsed.problems.length > 0) return refused(file, parsed.problems);
    return { report: { file, ok: true, name: gd.gameday.name, problems: [] }, gameday: { file, gameday: gd.gameday, inline: gd.inline } };
  }
  const result = validatePlaybook(parsed.raw, adapters, vars);
  // The name it would have had, so a propose by that name can say why it is not there.
  if (!result.ok) return refused(file, located(result.problems), (parsed.raw as { name?: unknown } | null)?.name);
  if (parsed.problems.length > 0) return refused(file, parsed.problems);
  return { report: { file, ok: true, name: result.playbook.name, problems: [] }, playbook: result.playbook };
}

/**
 * Loads every playbook under the dirs, file by file: a file that cannot be read, parsed or
 * validated is reported (never silently skipped) and the others still load. Never throws, so one
 * bad file, a missing folder or a broken link cannot stop the bot.
 */
export function loadPlaybooks(
  dirs: readonly string[],
  adapters: AdapterSchemas,
  vars: Readonly<Record<string, string>>,
  opts: LoadOptions = {},
): { playbooks: Map<string, LoadedPlaybook>; gamedays: Map<string, LoadedGameDay>; reports: FileReport[] } {
  const playbooks = new Map<string, LoadedPlaybook>();
  const gamedays = new Map<string, LoadedGameDay>();
  const scan = scanPlaybookPaths(dirs);
  const reports: FileReport[] = scan.unreadable.map((u) => ({ file: u.path, ok: false, problems: [u.problem] }));
  const byFile = new Map<string, FileReport>();
  // Experiments and game days share one namespace: a schedule names either.
  const owner = (name: string) => playbooks.get(name)?.file ?? gamedays.get(name)?.file;
  for (const file of scan.files) {
    const { report, playbook, gameday } = checkPlaybookFile(file, adapters, vars, opts);
    const name = playbook?.name ?? gameday?.gameday.name;
    const clash = name ? owner(name) : undefined;
    if (name && clash) {
      report.ok = false;
      report.problems.push(`name: "${name}" is already used by ${clash}`);
    } else if (playbook) playbooks.set(playbook.name, { file, playbook });
    else if (gameday) gamedays.set(gameday.gameday.name, gameday);
    reports.push(report);
    byFile.set(file, report);
  }
  const names = new Set(playbooks.keys());
  for (const [name, gd] of gamedays) {
    const problems = checkGameDayReferences(gd, names);
    if (problems.length === 0) continue;
    gamedays.delete(name);
    const report = byFile.get(gd.file)!;
    report.ok = false;
    report.problems.push(...problems);
  }
  return { playbooks, gamedays, reports };
}
