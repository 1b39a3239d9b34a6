import { GameDaySpec, isInlineStep } from '../core/gameday.js';
import type { Experiment } from '../core/playbook.js';
import { substituteVars } from './substitute-vars.js';
import { issuesAt, validatePlaybook, type AdapterSchemas, type PlaybookProblem } from './validate-playbook.js';

/** A loaded game day: the spec, and each inline step already checked as an Experiment (null for references). */
export interface LoadedGameDay {
  file: string;
  gameday: GameDaySpec;
  inline: Array<Experiment | null>;
}

export type GameDayCheck = { ok: true; gameday: GameDaySpec; inline: Array<Experiment | null> } | { ok: false; problems: PlaybookProblem[] };

/**
 * Checks a `kind: GameDay` document: its own shape, then each inline step as a whole Experiment
 * (kind and name filled in, channel defaulting to the game day's). References to other playbooks are
 * checked when every file is loaded, since the playbook may live in another file.
 */
export function validateGameDay(raw: unknown, adapters: AdapterSchemas, vars: Readonly<Record<string, string>> = {}): GameDayCheck {
  const missing: Array<{ path: Array<string | number>; name: string }> = [];
  const doc = substituteVars(raw, vars, [], missing);
  const problems: PlaybookProblem[] = missing.map((m) => ({ path: m.path, message: `unknown variable \${${m.name}}; known: ${Object.keys(vars).join(', ') || '(none)'}` }));
  const base = GameDaySpec.safeParse(doc);
  if (!base.success) return { ok: false, problems: [...problems, ...issuesAt(base.error.issues, [])] };
  const gameday = base.data;
  const inline = gameday.steps.map((step, i): Experiment | null => {
    if (!isInlineStep(step)) return null;
    const filled = { kind: 'Experiment', name: `${gameday.name}-step-${i + 1}`, channel: gameday.channel, ...step.experiment };
    const checked = validatePlaybook(filled, adapters);
    if (!checked.ok) {
      problems.push(...checked.problems.map((p) => ({ path: ['steps', i, 'experiment', ...p.path], message: p.message })));
      return null;
    }
    return checked.playbook;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, gameday, inline };
}

/** Problems with a game day's references to playbooks (by step), once every file is loaded. */
export function checkGameDayReferences(gd: LoadedGameDay, playbookNames: ReadonlySet<string>): string[] {
  const known = [...playbookNames].sort().join(', ') || '(none loaded)';
  return gd.gameday.steps.flatMap((step, i) =>
    !isInlineStep(step) && !playbookNames.has(step.playbook) ? [`steps[${i}].playbook: no playbook named "${step.playbook}"; known: ${known}`] : [],
  );
}
