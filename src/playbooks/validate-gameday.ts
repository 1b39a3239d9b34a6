import { GameDaySpec, isInlineStep } from '../core/gameday.js';
import type { Experiment } from '../core/playbook.js';
import { substituteVars } from './substitute-vars.js';
import { asRecord as record } from './adapter-fields.js';
import { dedupeProblems, issuesAt, validatePlaybook, type AdapterSchemas, type PlaybookProblem } from './validate-playbook.js';

/** A loaded game day: the spec, and each inline step already checked as an Experiment (null for references). */
export interface LoadedGameDay {
  file: string;
  gameday: GameDaySpec;
  inline: Array<Experiment | null>;
}

export type GameDayCheck = { ok: true; gameday: GameDaySpec; inline: Array<Experiment | null> } | { ok: false; problems: PlaybookProblem[] };

/**
 * Checks a `kind: GameDay` document: its own shape, and each inline step as a whole Experiment
 * (kind and name filled in, channel defaulting to the game day's), reporting the problems of both
 * at once. References to other playbooks are checked when every file is loaded, since the
 * playbook may live in another file.
 */
export function validateGameDay(raw: unknown, adapters: AdapterSchemas, vars: Readonly<Record<string, string>> = {}): GameDayCheck {
  const problems: PlaybookProblem[] = [];
  const doc = substituteVars(raw, vars, problems);
  const base = GameDaySpec.safeParse(doc);
  if (!base.success) problems.push(...issuesAt(base.error.issues, []));
  const top = record(doc) ?? {};
  // The game day's own name and channel, when they are usable, as the inline steps' defaults.
  const name = typeof top.name === 'string' && /^[a-z0-9][a-z0-9-]*$/.test(top.name) ? top.name : 'gameday';
  const channel = typeof top.channel === 'string' && top.channel.length > 0 ? top.channel : '#chaos';
  const steps = Array.isArray(top.steps) ? (top.steps as unknown[]) : [];
  const inline = steps.map((step, i): Experiment | null => {
    const experiment = record(record(step)?.experiment);
    if (!experiment) return null;
    const filled = { kind: 'Experiment', name: `${name}-step-${i + 1}`, channel, ...experiment };
    const checked = validatePlaybook(filled, adapters);
    if (checked.ok) return checked.playbook;
    problems.push(...checked.problems.map((p) => ({ path: ['steps', i, 'experiment', ...p.path], message: p.message })));
    return null;
  });
  if (!base.success || problems.length > 0) return { ok: false, problems: dedupeProblems(problems) };
  return { ok: true, gameday: base.data, inline: base.data.steps.map((step, i) => (isInlineStep(step) ? inline[i]! : null)) };
}

/** Problems with a game day's references to playbooks (by step), once every file is loaded. */
export function checkGameDayReferences(gd: LoadedGameDay, playbookNames: ReadonlySet<string>): string[] {
  const known = [...playbookNames].sort().join(', ') || '(none loaded)';
  return gd.gameday.steps.flatMap((step, i) =>
    !isInlineStep(step) && !playbookNames.has(step.playbook) ? [`steps[${i}].playbook: no playbook named "${step.playbook}"; known: ${known}`] : [],
  );
}
