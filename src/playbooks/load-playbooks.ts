import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { FaultlineError } from '../core/errors.js';
import type { Experiment } from '../core/playbook.js';
import { formatPath } from '../core/format-issues.js';
import { validatePlaybook, type AdapterSchemas, type PlaybookProblem } from './validate-playbook.js';
import { checkGameDayReferences, validateGameDay, type LoadedGameDay } from './validate-gameday.js';

export type { LoadedGameDay } from './validate-gameday.js';

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

/** Every .yaml/.yml file under the given paths (files or folders), sorted for stable output. */
export function findPlaybookFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FaultlineError('playbook_not_found', `${p}: no such file or folder`, { path: p });
    }
    if (st.isDirectory()) {
      for (const entry of readdirSync(p).sort()) walk(path.join(p, entry));
    } else if (/\.ya?ml$/.test(p)) out.push(p);
  };
  paths.forEach(walk);
  return out;
}

/** Parses one file, with line numbers for YAML syntax errors and field paths for schema errors. */
export function checkPlaybookFile(
  file: string,
  adapters: AdapterSchemas,
  vars: Readonly<Record<string, string>>,
): { report: FileReport; playbook?: Experiment; gameday?: LoadedGameDay } {
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { report: { file, ok: false, problems: doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`) } };
  }
  const where = (p: PlaybookProblem) => {
    const node = doc.getIn(p.path, true) as { range?: [number, number] } | undefined;
    const line = node?.range ? `:${lineCounter.linePos(node.range[0]).line}` : '';
    return `${formatPath(p.path)}${line ? ` (line ${line.slice(1)})` : ''}: ${p.message}`;
  };
  const raw: unknown = doc.toJS();
  if ((raw as { kind?: unknown } | null)?.kind === 'GameDay') {
    const gd = validateGameDay(raw, adapters, vars);
    if (!gd.ok) return { report: { file, ok: false, problems: gd.problems.map(where) } };
    return { report: { file, ok: true, name: gd.gameday.name, problems: [] }, gameday: { file, gameday: gd.gameday, inline: gd.inline } };
  }
  const result = validatePlaybook(raw, adapters, vars);
  if (!result.ok) return { report: { file, ok: false, problems: result.problems.map(where) } };
  return { report: { file, ok: true, name: result.playbook.name, problems: [] }, playbook: result.playbook };
}

/** Loads every playbook under the dirs; a broken file is reported, never silently skipped. */
export function loadPlaybooks(
  dirs: readonly string[],
  adapters: AdapterSchemas,
  vars: Readonly<Record<string, string>>,
): { playbooks: Map<string, LoadedPlaybook>; gamedays: Map<string, LoadedGameDay>; reports: FileReport[] } {
  const playbooks = new Map<string, LoadedPlaybook>();
  const gamedays = new Map<string, LoadedGameDay>();
  const reports: FileReport[] = [];
  const byFile = new Map<string, FileReport>();
  // Experiments and game days share one namespace: a schedule names either.
  const owner = (name: string) => playbooks.get(name)?.file ?? gamedays.get(name)?.file;
  for (const file of findPlaybookFiles(dirs)) {
    const { report, playbook, gameday } = checkPlaybookFile(file, adapters, vars);
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
