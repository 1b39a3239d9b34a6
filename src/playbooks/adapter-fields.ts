import type { z } from 'zod';
import type { SignalSource, TargetDriver } from '../core/ports.js';
import { humanMessage } from '../core/format-issues.js';

export interface PlaybookProblem {
  path: Array<string | number>;
  message: string;
}

export interface AdapterSchemas {
  targets: ReadonlyMap<string, Pick<TargetDriver, 'schemas' | 'faultTypes'>>;
  signals: ReadonlyMap<string, Pick<SignalSource, 'schema'>>;
}

const SHOWN_KEYS = 10;

/** zod issues as problems under a prefix; a long list of unknown keys is shortened. */
export function issuesAt(issues: readonly z.core.$ZodIssue[], prefix: Array<string | number>): PlaybookProblem[] {
  return issues.map((i) => {
    const path = [...prefix, ...(i.path as Array<string | number>)];
    if (i.code === 'unrecognized_keys' && i.keys.length > SHOWN_KEYS) {
      const shown = i.keys.slice(0, SHOWN_KEYS).map((k) => `"${k}"`).join(', ');
      return { path, message: `Unrecognized keys: ${shown} and ${i.keys.length - SHOWN_KEYS} more` };
    }
    return { path, message: humanMessage(i.message) };
  });
}

export type SignalField = 'steadyState' | 'guardrails';

/** What the adapters' schemas made of the fields they own, for a playbook whose core shape is fine. */
export interface AdapterValues {
  target?: unknown;
  fault?: unknown;
  signals: Record<SignalField, Map<number, unknown>>;
}

/** The value as a plain object, or undefined for anything else (lists included). */
export const asRecord = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const named = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Checks the target, the fault (with its parameters) and every signal against the adapter that
 * owns it, straight from the document, so these problems are found even when the core shape is
 * wrong elsewhere. A field whose adapter cannot be told (no `adapter` or `source`) is left to the
 * core schema.
 */
export function checkAdapterFields(doc: unknown, adapters: AdapterSchemas, problems: PlaybookProblem[]): AdapterValues {
  const top = asRecord(doc) ?? {};
  const out: AdapterValues = { signals: { steadyState: new Map(), guardrails: new Map() } };
  const adapter = asRecord(top.target)?.adapter;
  if (named(adapter)) {
    const driver = adapters.targets.get(adapter);
    if (!driver) {
      problems.push({ path: ['target', 'adapter'], message: `unknown target adapter "${adapter}"; known: ${[...adapters.targets.keys()].join(', ')}` });
    } else {
      const t = driver.schemas.target.safeParse(top.target);
      if (t.success) out.target = t.data;
      else problems.push(...issuesAt(t.error.issues, ['target']));
      if (asRecord(top.fault)) {
        const f = driver.schemas.fault.safeParse(top.fault);
        const type = asRecord(top.fault)?.type;
        if (f.success) out.fault = f.data;
        else if (typeof type === 'string' && !driver.faultTypes.includes(type)) {
          problems.push({ path: ['fault', 'type'], message: `"${type}" is not a fault of the ${adapter} adapter; it offers: ${driver.faultTypes.join(', ')}` });
        } else problems.push(...issuesAt(f.error.issues, ['fault']));
      }
    }
  }
  for (const field of ['steadyState', 'guardrails'] as const) {
    const list = top[field];
    if (!Array.isArray(list)) continue;
    list.forEach((item: unknown, i) => {
      const signal = asRecord(asRecord(item)?.signal);
      const name = signal?.source;
      if (!named(name)) return;
      const source = adapters.signals.get(name);
      if (!source) {
        problems.push({ path: [field, i, 'signal', 'source'], message: `unknown signal source "${name}"; known: ${[...adapters.signals.keys()].join(', ')}` });
        return;
      }
      const s = source.schema.safeParse(signal);
      if (s.success) out.signals[field].set(i, s.data);
      else problems.push(...issuesAt(s.error.issues, [field, i, 'signal']));
    });
  }
  return out;
}
