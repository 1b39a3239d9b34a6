/**
 * Playbooks may say `${sandboxAdmin}` where an address differs per environment; the values come
 * from config (`playbooks.vars`). An unknown name is reported with the field it sits in.
 */
export function substituteVars(value: unknown, vars: Readonly<Record<string, string>>, path: Array<string | number> = [], missing: Array<{ path: Array<string | number>; name: string }> = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z0-9_.-]+)\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) {
        missing.push({ path, name });
        return whole;
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteVars(v, vars, [...path, i], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteVars(v, vars, [...path, k], missing)]));
  }
  return value;
}
