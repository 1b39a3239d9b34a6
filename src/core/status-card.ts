import type { ExperimentRecord } from './experiment.js';
import type { GameDayRecord } from './gameday-record.js';
import { message, type Message } from './message.js';

/** What `/chaos status` shows without an id. */
export interface EngineStatus {
  halt: { reason: string; by: string; at: number } | null;
  /** Proposed, approved and running experiments, newest first: at most `limit`, plus one when there are more. */
  experiments: ExperimentRecord[];
  gameDays: GameDayRecord[];
  limit: number;
}

/** One line per experiment or game day: few columns, so a line reads better than a table (and needs no alignment). */
export function statusMessage(s: EngineStatus): Message {
  const lines = s.experiments.slice(0, s.limit).map((r) => `• \`${r.id}\` ${r.name} · ${r.state}${r.phase ? ` / ${r.phase}` : ''}`);
  if (s.experiments.length > s.limit) lines.push(`… and more; /chaos list shows the recent ones`);
  for (const g of s.gameDays) lines.push(`• \`${g.id}\` game day ${g.name} · ${g.state}, step ${Math.min(g.next + 1, g.steps.length)} of ${g.steps.length}`);
  return message({
    title: s.halt ? `Chaos is HALTED by ${s.halt.by}: ${s.halt.reason}` : 'Chaos is enabled',
    tone: s.halt ? 'danger' : 'info',
    sections: [lines.length > 0 ? lines.join('\n') : 'No experiment or game day is proposed, approved or running.'],
    ephemeral: true,
  });
}
