import { KubeApiError, failure, unsupportedMediaType } from './kube-status.js';
import { clone, isRecord, jsonEqual, type KubeObject } from './kube-types.js';

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

function rejected(message: string): KubeApiError {
  // What the API server answers when a patch cannot be applied to the object.
  return new KubeApiError(failure(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`));
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw rejected(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function parentOf(doc: unknown, parts: string[], path: string): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isRecord(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw rejected(`doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw rejected(`doc is missing path: "${path}": missing value`);
  return { parent: cur, key: parts[parts.length - 1] ?? '' };
}

function arrayIndex(arr: unknown[], key: string, forAdd: boolean, path: string): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw rejected(`invalid array index "${key}" in "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw rejected(`unable to access invalid index: ${i} in "${path}"`);
  return i;
}

function getAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const p of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isRecord(cur)) cur = cur[p];
    else cur = undefined;
    if (cur === undefined) throw rejected(`doc is missing path: "${path}": missing value`);
  }
  return cur;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const { parent, key } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, value);
  else parent[key] = value;
  return doc;
}

function remove(doc: unknown, path: string): unknown {
  const parts = pointer(path);
  const { parent, key } = parentOf(doc, parts, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false, path), 1);
  else {
    if (!(key in parent)) throw rejected(`Unable to remove nonexistent key: ${key}: missing value`);
    delete parent[key];
  }
  return doc;
}

/** RFC 6902 JSON Patch. */
export function applyJsonPatch(target: KubeObject, ops: unknown): KubeObject {
  if (!Array.isArray(ops)) throw rejected('json patch must be an array of operations');
  let doc: unknown = clone(target);
  for (const op of ops) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw rejected(`invalid patch operation ${JSON.stringify(op)}`);
    const path = op.path;
    switch (op.op) {
      case 'add':
        doc = add(doc, path, clone(op.value));
        break;
      case 'remove':
        doc = remove(doc, path);
        break;
      case 'replace':
        getAt(doc, path);
        if (path === '') {
          doc = clone(op.value);
          break;
        }
        doc = add(remove(doc, path), path, clone(op.value));
        break;
      case 'move': {
        const from = String(op.from ?? '');
        const v = getAt(doc, from);
        doc = add(remove(doc, from), path, v);
        break;
      }
      case 'copy':
        doc = add(doc, path, clone(getAt(doc, String(op.from ?? ''))));
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, path), op.value)) throw rejected(`testing value ${path} failed: test failed`);
        break;
      default:
        throw rejected(`Unexpected kind: ${op.op}`);
    }
  }
  if (!isRecord(doc)) throw rejected('patch result is not an object');
  return doc;
}

/** RFC 7386 JSON Merge Patch: objects merge, `null` deletes, everything else replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Strategic merge patch directives this stand-in ignores (it merges like a JSON merge patch). */
function stripDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (!isRecord(patch)) return patch;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/') || k === '$retainKeys' || k === '$patch') continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/** Applies a PATCH body according to its Content-Type. */
export function applyPatch(target: KubeObject, contentType: string | undefined, body: unknown): KubeObject {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  let result: unknown;
  if (type === PATCH_TYPES.json) result = applyJsonPatch(target, body);
  else if (type === PATCH_TYPES.merge) result = applyMergePatch(target, body);
  else if (type === PATCH_TYPES.strategic) result = applyMergePatch(target, stripDirectives(body));
  else throw unsupportedMediaType(contentType);
  if (!isRecord(result)) throw rejected('patch result is not an object');
  return result;
}
