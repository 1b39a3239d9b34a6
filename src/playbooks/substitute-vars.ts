import { MAX_NESTING } from './limits.js';

export interface VarIssue {
  path: Array<string | number>;
  message: string;
}

const VAR = /\$\{([A-Za-z0-9_.-]+)\}/g;

/**
 * Playbooks may say `${sandboxAdmin}` where an address differs per environment; the values come
 * from config (`playbooks.vars`). An unknown name is reported with the field it sits in. Nesting
 * deeper than MAX_NESTING is reported and left as it is, so no value can overflow the stack.
 * Returns a copy; the input is not changed.
 */
export function substituteVars(value: unknown, vars: Readonly<Record<string, string>>, issues: VarIssue[] = [], path: Array<string | number> = []): unknown {
  const at: Array<string | number> = [...path]; // pushed and popped while walking; copied only for an issue
  const known = () => Object.keys(vars).join(', ') || '(none)';
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (!v.includes('${')) return v;
      return v.replace(VAR, (whole, name: string) => {
        const sub = vars[name];
        if (sub !== undefined) return sub;
        issues.push({ path: [...at], message: `unknown variable \${${name}}; known: ${known()}` });
        return whole;
      });
    }
    if (!v || typeof v !== 'object') return v;
    if (at.length >= MAX_NESTING) {
      issues.push({ path: [...at], message: `nested deeper than ${MAX_NESTING} levels; a playbook needs far fewer` });
      return v;
    }
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) {
        at.push(i);
        out[i] = walk(v[i]);
        at.pop();
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      at.push(key);
      const sub = walk((v as Record<string, unknown>)[key]);
      // A key named __proto__ stays a plain key, as in the parsed document.
      if (key === '__proto__') Object.defineProperty(out, key, { value: sub, enumerable: true, writable: true, configurable: true });
      else out[key] = sub;
      at.pop();
    }
    return out;
  };
  return walk(value);
}
