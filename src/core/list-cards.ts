import { formatDuration } from './duration.js';
import type { ExperimentRecord } from './experiment.js';
import type { GameDayRecord } from './gameday-record.js';
import { historyByScope, type PastRun } from './ladder.js';
import { message, type Message } from './message.js';

/** `/chaos history [target]`: past runs per target scope, and the largest radius that held there. */
export function historyMessage(past: readonly PastRun[], filter: string | undefined, now: number): Message {
  const groups = historyByScope(past).filter((g) => !filter || g.scope.includes(filter));
  if (groups.length === 0) return message({ title: 'No finished runs yet', sections: [filter ? `Nothing matches "${filter}".` : 'Run an experiment first.'], ephemeral: true });
  const sections = groups.slice(0, 20).map((g) => {
    const best = g.largestHeld ? `largest radius that held: ${g.largestHeld.blastRadius} (${g.largestHeld.targets} of ${g.largestHeld.candidates}, ${g.largestHeld.id})` : 'nothing has held yet';
    const runs = g.runs.slice(0, 8).map((r) => `  ${r.id}  ${formatDuration(Math.max(0, now - r.endedAt))} ago  ${r.faultType}  ${r.blastRadius} (${r.targets}/${r.candidates})  ${r.state}${r.verdict ? ` · ${r.verdict}` : ''}`);
    return [`${g.scope}: ${best}`, ...runs, ...(g.runs.length > 8 ? [`  … and ${g.runs.length - 8} older`] : [])].join('\n');
  });
  return message({ title: 'Resilience history', sections, ephemeral: true });
}

/** `/chaos list`: recent experiments and the playbooks one can propose. */
export function experimentListMessage(recent: readonly ExperimentRecord[], playbooks: readonly string[]): Message {
  const lines = recent.map((r) => `${r.id}  ${r.name.padEnd(24)} ${(r.state + (r.phase ? `/${r.phase}` : '')).padEnd(22)} ${r.verdict ?? ''}`);
  return message({
    title: 'Experiments',
    sections: [lines.length > 0 ? lines.join('\n') : 'None yet.', `Playbooks: ${playbooks.join(', ') || '(none loaded)'}`],
    ephemeral: true,
  });
}

/** `/chaos gameday list`: recent game days and the ones one can start. */
export function gameDayListMessage(recent: readonly GameDayRecord[], names: readonly string[]): Message {
  const lines = recent.map((r) => `${r.id}  ${r.name.padEnd(24)} ${r.state.padEnd(12)} step ${Math.min(r.next + 1, r.steps.length)}/${r.steps.length}`);
  return message({ title: 'Game days', sections: [lines.join('\n') || 'None yet.', `Game days you can start: ${names.join(', ') || '(none loaded)'}`], ephemeral: true });
}
