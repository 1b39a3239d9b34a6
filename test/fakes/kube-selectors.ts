import type { ResourceType } from './kube-resources.js';
import { badRequest } from './kube-status.js';
import { isRecord, type KubeObject, labelsOf, stringMap } from './kube-types.js';

export type LabelOp = 'exists' | 'notexists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return QUALIFIED_NAME.test(key);
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  return prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix) && QUALIFIED_NAME.test(name);
}

function validValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string };

/** Splits a selector the way apimachinery's lexer does: identifiers, and the symbols ! = == != ( ) , < >. */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if ('!=(),<>'.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j] ?? '') && !'!=(),<>'.includes(input[j] ?? '')) j++;
    tokens.push({ kind: 'id', text: input.slice(i, j) });
    i = j;
  }
  return tokens;
}

function parseError(selector: string, why: string): Error {
  return badRequest(`unable to parse requirement: ${why} (in label selector "${selector}")`);
}

/** Parses a label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). Throws a 400 Status on bad syntax. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const expectId = (what: string): string => {
    const t = tokens[i++];
    if (!t || t.kind !== 'id') throw parseError(selector, `found '${t?.text ?? ''}', expected: ${what}`);
    return t.text;
  };
  while (i < tokens.length) {
    let req: LabelRequirement;
    if (peek()?.text === '!' && peek()?.kind === 'op') {
      i++;
      const key = expectId('identifier after \'!\'');
      req = { key, op: 'notexists', values: [] };
    } else {
      const key = expectId('identifier');
      const next = peek();
      if (!next || next.text === ',') req = { key, op: 'exists', values: [] };
      else if (next.kind === 'op' && ['=', '==', '!=', '<', '>'].includes(next.text)) {
        i++;
        const value = peek()?.kind === 'id' ? expectId('value') : '';
        const op: LabelOp = next.text === '!=' ? '!=' : next.text === '<' ? 'lt' : next.text === '>' ? 'gt' : '=';
        if ((op === 'gt' || op === 'lt') && !/^-?\d+$/.test(value)) throw parseError(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
        req = { key, op, values: [value] };
      } else if (next.kind === 'id' && (next.text === 'in' || next.text === 'notin')) {
        i++;
        if (tokens[i++]?.text !== '(') throw parseError(selector, `found '${tokens[i - 1]?.text ?? ''}', expected: '('`);
        const values: string[] = [];
        if (peek()?.text === ')') throw parseError(selector, `for 'in', 'notin' operators, values set can't be empty`);
        for (;;) {
          const t = peek();
          if (t?.kind === 'id') {
            values.push(t.text);
            i++;
          } else values.push('');
          const sep = tokens[i++];
          if (sep?.text === ')') break;
          if (sep?.text !== ',') throw parseError(selector, `found '${sep?.text ?? ''}', expected: ',' or ')'`);
        }
        req = { key, op: next.text, values };
      } else throw parseError(selector, `found '${next.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    if (!validKey(req.key)) throw parseError(selector, `invalid label key "${req.key}": name part must consist of alphanumeric characters, '-', '_' or '.'`);
    for (const v of req.values) if (!validValue(v)) throw parseError(selector, `invalid label value: "${v}"`);
    reqs.push(req);
    const sep = tokens[i++];
    if (sep && sep.text !== ',') throw parseError(selector, `found '${sep.text}', expected: ','`);
    if (sep && i >= tokens.length) throw parseError(selector, `found '', expected: identifier`);
  }
  return reqs;
}

export function matchesRequirements(reqs: LabelRequirement[], labels: Record<string, string>): boolean {
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = labels[r.key];
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notexists':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v ?? '')) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v ?? '')) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v ?? '')) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

/** A metav1.LabelSelector object (`matchLabels` + `matchExpressions`) as requirements. Null/absent matches nothing. */
export function requirementsOf(selector: unknown): LabelRequirement[] | null {
  if (!isRecord(selector)) return null;
  const reqs: LabelRequirement[] = Object.entries(stringMap(selector.matchLabels)).map(([key, v]) => ({ key, op: '=' as const, values: [v] }));
  const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of exprs) {
    if (!isRecord(e) || typeof e.key !== 'string') continue;
    const values = Array.isArray(e.values) ? e.values.filter((x): x is string => typeof x === 'string') : [];
    const op: LabelOp | undefined = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' }[String(e.operator)] as LabelOp | undefined;
    if (op) reqs.push({ key: e.key, op, values });
  }
  return reqs;
}

export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  const reqs = requirementsOf(selector);
  return reqs !== null && matchesRequirements(reqs, labels);
}

/** The string form the Scale subresource reports in status.selector (`app=web,tier=front`). */
export function selectorString(selector: unknown): string {
  const reqs = requirementsOf(selector) ?? [];
  return reqs
    .map((r) => {
      if (r.op === '=') return `${r.key}=${r.values[0] ?? ''}`;
      if (r.op === 'exists') return r.key;
      if (r.op === 'notexists') return `!${r.key}`;
      return `${r.key} ${r.op} (${r.values.join(',')})`;
    })
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] ?? '');
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

/** Parses `spec.nodeName=n1,status.phase!=Running` and checks the fields against what the resource supports. */
export function parseFieldSelector(selector: string, t: ResourceType): FieldRequirement[] {
  const supported = ['metadata.name', 'metadata.namespace', ...(t.fieldLabels ?? [])];
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(selector, ',')) {
    if (term.trim() === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = unescape(m[1] ?? '').trim();
    const op = m[2] === '!=' ? '!=' : '=';
    if (!supported.includes(field)) {
      throw badRequest(`"${field}" is not a known field selector: only ${supported.map((f) => `"${f}"`).join(', ')}`);
    }
    reqs.push({ field, op, value: unescape(m[3] ?? '') });
  }
  return reqs;
}

/** The value of a selectable field, formatted like the API server's field sets (booleans as "true"/"false"). */
export function fieldValue(obj: KubeObject, field: string): string {
  let cur: unknown = obj;
  for (const part of field.split('.')) cur = isRecord(cur) ? cur[part] : undefined;
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'boolean' || typeof cur === 'number') return String(cur);
  if (field === 'spec.unschedulable' || field === 'spec.hostNetwork') return 'false';
  return '';
}

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.field);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** One predicate for a list request's labelSelector and fieldSelector. */
export function listFilter(t: ResourceType, labelSelector: string | undefined, fieldSelector: string | undefined): ((obj: KubeObject) => boolean) | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fields = fieldSelector ? parseFieldSelector(fieldSelector, t) : [];
  if (labels.length === 0 && fields.length === 0) return undefined;
  return (obj) => matchesRequirements(labels, labelsOf(obj)) && matchesFields(fields, obj);
}
