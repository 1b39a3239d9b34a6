import { formatDuration } from './duration.js';
import type { ExperimentRecord } from './experiment.js';
import type { GameDayRecord } from './gameday-record.js';
import { historyByScope, type PastRun } from './ladder.js';
import { message, type Message } from './message.js';

/**
 * Rows as one fenced code block with columns padded to their widest cell: Slack shows a code block
 * in a fixed-width font, so the columns line up there (and in the console) as they do nowhere else.
 */
export function codeTable(rows: ReadonlyArray<readonly string[]>, header?: readonly string[]): string {
  const all = header ? [header, ...rows] : [...rows];
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const line = (row: readonly string[]) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return ['```', ...all.map(line), '```'].join('\n');
}

/** `/chaos history [target]`: past runs per target scope, and the largest radius that held there. */
export function historyMessage(past: readonly PastRun[], filter: string | undefined, now: number): Message {
  const groups = historyByScope(past).filter((g) => !filter || g.scope.includes(filter));
  if (groups.length === 0) return message({ title: 'No finished runs yet', sections: [filter ? `Nothing matches "${filter}".` : 'Run an experiment first.'], ephemeral: true });
  const sections = groups.slice(0, 20).map((g) => {
    const best = g.largestHeld ? `largest radius that held: ${g.largestHeld.blastRadius} (${g.largestHeld.targets} of ${g.largestHeld.candidates}, ${g.largestHeld.id})` : 'nothing has held yet';
    const runs = g.runs
      .slice(0, 8)
      .map((r) => [r.id, `${formatDuration(Math.max(0, now - r.endedAt))} ago`, r.faultType, `${r.blastRadius} (${r.targets}/${r.candidates})`, `${r.state}${r.verdict ? ` · ${r.verdict}` : ''}`]);
    const older = g.runs.length > 8 ? [`… and ${g.runs.length - 8} older`] : [];
    return [`${g.scope}: ${best}`, codeTable(runs, ['RUN', 'ENDED', 'FAULT', 'RADIUS (HIT)', 'RESULT']), ...older].join('\n');
  });
  return message({ title: 'Resilience history', sections, ephemeral: true });
}

/** `/chaos list`: recent experiments and the playbooks one can propose. */
export function experimentListMessage(recent: readonly ExperimentRecord[], playbooks: readonly string[]): Message {
  const rows = recent.map((r) => [r.id, r.name, r.state + (r.phase ? `/${r.phase}` : ''), r.verdict ?? '']);
  return message({
    title: 'Experiments',
    sections: [rows.length > 0 ? codeTable(rows, ['ID', 'PLAYBOOK', 'STATE', 'VERDICT']) : 'None yet.', `Playbooks: ${playbooks.join(', ') || '(none loaded)'}`],
    ephemeral: true,
  });
}

/** `/chaos gameday list`: recent game days and the ones one can start. */
export function gameDayListMessage(recent: readonly GameDayRecord[], names: readonly string[]): Message {
  const rows = recent.map((r) => [r.id, r.name, r.state, `${Math.min(r.next + 1, r.steps.length)}/${r.steps.length}`]);
  return message({
    title: 'Game days',
    sections: [rows.length > 0 ? codeTable(rows, ['ID', 'GAME DAY', 'STATE', 'STEP']) : 'None yet.', `Game days you can start: ${names.join(', ') || '(none loaded)'}`],
    ephemeral: true,
  });
}
