import type { z } from 'zod';
import { Experiment } from '../core/playbook.js';
import type { SignalSource, TargetDriver } from '../core/ports.js';
import { humanMessage } from '../core/format-issues.js';
import { substituteVars } from './substitute-vars.js';

export interface PlaybookProblem {
  path: Array<string | number>;
  message: string;
}

export interface AdapterSchemas {
  targets: ReadonlyMap<string, Pick<TargetDriver, 'schemas' | 'faultTypes'>>;
  signals: ReadonlyMap<string, Pick<SignalSource, 'schema'>>;
}

export type PlaybookCheck = { ok: true; playbook: Experiment } | { ok: false; problems: PlaybookProblem[] };

export function issuesAt(issues: readonly z.core.$ZodIssue[], prefix: Array<string | number>): PlaybookProblem[] {
  return issues.map((i) => ({ path: [...prefix, ...(i.path as Array<string | number>)], message: humanMessage(i.message) }));
}

/**
 * Two passes: the core schema first (shape, hypothesis, durations, guardrails), then each adapter's
 * own schema for the target, the fault and every signal, so every problem is reported with its path.
 */
export function validatePlaybook(raw: unknown, adapters: AdapterSchemas, vars: Readonly<Record<string, string>> = {}): PlaybookCheck {
  const missing: Array<{ path: Array<string | number>; name: string }> = [];
  const doc = substituteVars(raw, vars, [], missing);
  const problems: PlaybookProblem[] = missing.map((m) => ({ path: m.path, message: `unknown variable \${${m.name}}; known: ${Object.keys(vars).join(', ') || '(none)'}` }));
  const base = Experiment.safeParse(doc);
  if (!base.success) return { ok: false, problems: [...problems, ...issuesAt(base.error.issues, [])] };
  const playbook = base.data;
  const rawDoc = doc as Record<string, unknown>;

  const driver = adapters.targets.get(playbook.target.adapter);
  if (!driver) {
    problems.push({ path: ['target', 'adapter'], message: `unknown target adapter "${playbook.target.adapter}"; known: ${[...adapters.targets.keys()].join(', ')}` });
  } else {
    const t = driver.schemas.target.safeParse(rawDoc.target);
    if (!t.success) problems.push(...issuesAt(t.error.issues, ['target']));
    else playbook.target = t.data as Experiment['target'];
    const f = driver.schemas.fault.safeParse(rawDoc.fault);
    if (!f.success) {
      const type = (rawDoc.fault as { type?: unknown } | undefined)?.type;
      if (typeof type === 'string' && !driver.faultTypes.includes(type)) {
        problems.push({ path: ['fault', 'type'], message: `"${type}" is not a fault of the ${playbook.target.adapter} adapter; it offers: ${driver.faultTypes.join(', ')}` });
      } else problems.push(...issuesAt(f.error.issues, ['fault']));
    } else playbook.fault = f.data as Experiment['fault'];
  }

  const checkSignals = (list: Array<{ signal: { source: string } }>, field: 'steadyState' | 'guardrails') => {
    const rawList = (rawDoc[field] as Array<{ signal?: unknown }> | undefined) ?? [];
    list.forEach((item, i) => {
      const source = adapters.signals.get(item.signal.source);
      if (!source) {
        problems.push({ path: [field, i, 'signal', 'source'], message: `unknown signal source "${item.signal.source}"; known: ${[...adapters.signals.keys()].join(', ')}` });
        return;
      }
      const s = source.schema.safeParse(rawList[i]?.signal);
      if (!s.success) problems.push(...issuesAt(s.error.issues, [field, i, 'signal']));
      else item.signal = s.data as { source: string };
    });
  };
  checkSignals(playbook.steadyState, 'steadyState');
  checkSignals(playbook.guardrails, 'guardrails');

  return problems.length > 0 ? { ok: false, problems } : { ok: true, playbook };
}
