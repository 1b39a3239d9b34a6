/** A Kubernetes object as it travels on the wire: plain JSON. */
export type KubeObject = Record<string, unknown>;

/** One request the stand-in answered, in arrival order of completion. */
export interface KubeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  body?: unknown;
  status: number;
  at: number;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The object's `metadata`, created when missing. */
export function metaOf(obj: KubeObject): Record<string, unknown> {
  const m = obj.metadata;
  if (isRecord(m)) return m;
  const fresh: Record<string, unknown> = {};
  obj.metadata = fresh;
  return fresh;
}

export function recordAt(obj: KubeObject, key: string): Record<string, unknown> {
  const v = obj[key];
  if (isRecord(v)) return v;
  const fresh: Record<string, unknown> = {};
  obj[key] = fresh;
  return fresh;
}

/** A nested object for reading: the field when it is an object, else an empty one (nothing is written). */
export function fieldOf(obj: KubeObject, key: string): Record<string, unknown> {
  const v = obj[key];
  return isRecord(v) ? v : {};
}

export function strOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function nameOf(obj: KubeObject): string {
  return strOf(metaOf(obj).name) ?? '';
}

export function namespaceOf(obj: KubeObject): string | undefined {
  return strOf(metaOf(obj).namespace);
}

export function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  return stringMap(metaOf(obj).labels);
}

/** RFC 3339 at second precision, as the API server writes timestamps. */
export function nowIso(at: number = Date.now()): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Test data only: Math.random is plenty (and much cheaper than crypto when seeding 10 000 pods). */
export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += SUFFIX_ALPHABET[Math.floor(Math.random() * SUFFIX_ALPHABET.length)];
  return out;
}

export function randomHex(length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
