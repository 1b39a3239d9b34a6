import { z } from 'zod';
import { formatDuration } from '../src/core/duration.js';
import { historyByScope } from '../src/core/ladder.js';
import { message } from '../src/core/message.js';
import { defineCommand } from './command.js';

export const historyCommand = defineCommand({
  name: 'history',
  usage: '/chaos history [target]',
  summary: 'past runs per target with verdicts, and the largest radius that held',
  args: z.array(z.string()).max(1),
  async run([filter], ctx) {
    const now = Date.now();
    const groups = historyByScope(ctx.engine.experiments.pastRuns()).filter((g) => !filter || g.scope.includes(filter));
    if (groups.length === 0) return message({ title: 'No finished runs yet', sections: [filter ? `Nothing matches "${filter}".` : 'Run an experiment first.'], ephemeral: true });
    const sections = groups.slice(0, 20).map((g) => {
      const best = g.largestHeld ? `largest radius that held: ${g.largestHeld.blastRadius} (${g.largestHeld.targets} of ${g.largestHeld.candidates}, ${g.largestHeld.id})` : 'nothing has held yet';
      const runs = g.runs.slice(0, 8).map((r) => `  ${r.id}  ${formatDuration(Math.max(0, now - r.endedAt))} ago  ${r.faultType}  ${r.blastRadius} (${r.targets}/${r.candidates})  ${r.state}${r.verdict ? ` · ${r.verdict}` : ''}`);
      return [`${g.scope}: ${best}`, ...runs, ...(g.runs.length > 8 ? [`  … and ${g.runs.length - 8} older`] : [])].join('\n');
    });
    return message({ title: 'Resilience history', sections, ephemeral: true });
  },
});
