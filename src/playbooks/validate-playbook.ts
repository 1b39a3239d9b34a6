import { Experiment } from '../core/playbook.js';
import { checkAdapterFields, issuesAt, type AdapterSchemas, type PlaybookProblem } from './adapter-fields.js';
import { substituteVars, type VarIssue } from './substitute-vars.js';

export { issuesAt, type AdapterSchemas, type PlaybookProblem } from './adapter-fields.js';

export type PlaybookCheck = { ok: true; playbook: Experiment } | { ok: false; problems: PlaybookProblem[] };

/** The same field and message said twice (core and adapter schemas overlap) is reported once. */
export function dedupeProblems(problems: readonly PlaybookProblem[]): PlaybookProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${JSON.stringify(p.path)}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks the core schema (shape, hypothesis, durations, guardrails) and each adapter's own schema
 * for the target, the fault and every signal, and reports every problem of both at once, each
 * with its path. The playbook returned carries the adapters' parsed values.
 */
export function validatePlaybook(raw: unknown, adapters: AdapterSchemas, vars: Readonly<Record<string, string>> = {}): PlaybookCheck {
  const problems: PlaybookProblem[] = [];
  const doc = substituteVars(raw, vars, problems as VarIssue[]);
  const base = Experiment.safeParse(doc);
  if (!base.success) problems.push(...issuesAt(base.error.issues, []));
  const values = checkAdapterFields(doc, adapters, problems);
  if (!base.success || problems.length > 0) return { ok: false, problems: dedupeProblems(problems) };

  const playbook = base.data;
  if (values.target !== undefined) playbook.target = values.target as Experiment['target'];
  if (values.fault !== undefined) playbook.fault = values.fault as Experiment['fault'];
  for (const [i, signal] of values.signals.steadyState) playbook.steadyState[i]!.signal = signal as { source: string };
  for (const [i, signal] of values.signals.guardrails) playbook.guardrails[i]!.signal = signal as { source: string };
  return { ok: true, playbook };
}
