import { randomUUID } from 'node:crypto';
import { apiVersionOf, type ResourceRegistry, type ResourceType } from './kube-resources.js';
import { alreadyExists, badRequest, conflict, invalid, notFound } from './kube-status.js';
import { clone, isRecord, jsonEqual, type KubeObject, metaOf, nowIso, randomSuffix, strOf } from './kube-types.js';

export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Writes through the API keep the stored status of resources that have a status subresource. */
  keepStatus?: boolean;
  /** The caller hands over a fresh object the store may keep as is (no defensive copy). */
  owned?: boolean;
}

export type ChangeListener = (t: ResourceType, obj: KubeObject, event: 'added' | 'modified' | 'deleted') => void;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SUBDOMAIN_HELP =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** First index whose key is >= `key` in a sorted array. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The objects of one resource, keyed `ns/name` (or `name`), with a lazily sorted key index like etcd's key order. */
class Table {
  readonly objects = new Map<string, KubeObject>();
  private sorted: string[] | null = [];

  keys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }

  set(key: string, obj: KubeObject): void {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, obj);
  }

  delete(key: string): void {
    if (this.objects.delete(key)) this.sorted = null;
  }
}

export function objectKey(t: ResourceType, ns: string | null, name: string): string {
  return t.namespaced ? `${ns ?? ''}/${name}` : name;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeContinue(raw: string): ContinueToken {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    if (isRecord(parsed) && parsed.v === 'meta.k8s.io/v1' && typeof parsed.start === 'string' && typeof parsed.rv === 'number') {
      return { v: parsed.v, rv: parsed.rv, start: parsed.start };
    }
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

/** Every object the stand-in holds, with one global resourceVersion counter as etcd has. */
export class KubeStore {
  private counter = 1000;
  /** Objects walked by list requests so far (to show paging is linear, not quadratic). */
  scanned = 0;
  private readonly tables = new Map<string, Table>();
  private readonly listeners: ChangeListener[] = [];

  constructor(readonly registry: ResourceRegistry) {}

  get resourceVersion(): string {
    return String(this.counter);
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private emit(t: ResourceType, obj: KubeObject, event: 'added' | 'modified' | 'deleted'): void {
    for (const l of this.listeners) l(t, obj, event);
  }

  private nextVersion(): string {
    this.counter += 1;
    return String(this.counter);
  }

  private table(t: ResourceType): Table {
    const key = `${t.group}/${t.plural}`;
    let table = this.tables.get(key);
    if (!table) {
      table = new Table();
      this.tables.set(key, table);
    }
    return table;
  }

  /** The stored object itself (callers must not mutate it). */
  peek(t: ResourceType, ns: string | null, name: string): KubeObject | undefined {
    return this.table(t).objects.get(objectKey(t, ns, name));
  }

  mustGet(t: ResourceType, ns: string | null, name: string): KubeObject {
    const obj = this.peek(t, ns, name);
    if (!obj) throw notFound(t, name);
    return obj;
  }

  /** All objects of a type (in one namespace when `ns` is given), unsorted. */
  values(t: ResourceType, ns?: string | null): KubeObject[] {
    const all = [...this.table(t).objects.values()];
    if (!t.namespaced || ns === undefined || ns === null) return all;
    return all.filter((o) => metaOf(o).namespace === ns);
  }

  create(t: ResourceType, ns: string | null, body: KubeObject, opts: WriteOptions = {}): KubeObject {
    const obj: KubeObject = { apiVersion: apiVersionOf(t), kind: t.kind, ...(opts.owned ? body : clone(body)) };
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    const m = metaOf(obj);
    if (t.namespaced) {
      if (m.namespace !== undefined && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      m.namespace = ns;
      const nsType = this.registry.find('', 'v1', 'namespaces');
      if (nsType && ns !== null && !this.peek(nsType, null, ns)) throw notFound(nsType, ns);
    } else delete m.namespace;
    const table = this.table(t);
    if (!strOf(m.name) && strOf(m.generateName)) {
      let candidate = '';
      do candidate = `${String(m.generateName)}${randomSuffix()}`;
      while (table.objects.has(objectKey(t, ns, candidate)));
      m.name = candidate;
    }
    const name = strOf(m.name) ?? '';
    if (name === '') throw invalid(t.kind, t.group, '', 'metadata.name', 'Required value: name or generateName is required');
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) throw invalid(t.kind, t.group, name, 'metadata.name', `Invalid value: "${name}": ${SUBDOMAIN_HELP}`);
    const key = objectKey(t, ns, name);
    if (table.objects.has(key)) throw alreadyExists(t, name);
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'uid', 'managedFields']) delete m[k];
    m.uid = randomUUID();
    m.resourceVersion = opts.dryRun ? this.resourceVersion : this.nextVersion();
    m.creationTimestamp = nowIso();
    if (t.generation) m.generation = 1;
    if (!opts.dryRun) {
      table.set(key, obj);
      this.emit(t, obj, 'added');
    }
    return obj;
  }

  /** Replaces an object (PUT semantics). A non-empty metadata.resourceVersion in `next` must match the stored one. */
  update(t: ResourceType, ns: string | null, name: string, next: KubeObject, opts: WriteOptions = {}): KubeObject {
    const cur = this.mustGet(t, ns, name);
    const curMeta = metaOf(cur);
    const obj: KubeObject = { apiVersion: apiVersionOf(t), kind: t.kind, ...clone(next) };
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    const m = metaOf(obj);
    if (m.name !== undefined && m.name !== name) throw badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${name})`);
    if (t.namespaced && m.namespace !== undefined && m.namespace !== ns) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const rv = strOf(m.resourceVersion);
    if (rv && rv !== curMeta.resourceVersion) throw conflict(t, name);
    for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp']) {
      if (curMeta[k] === undefined) delete m[k];
      else m[k] = curMeta[k];
    }
    if (opts.keepStatus && t.hasStatus) {
      if (cur.status === undefined) delete obj.status;
      else obj.status = clone(cur.status);
    }
    if (t.generation && !jsonEqual(obj.spec, cur.spec)) m.generation = Number(curMeta.generation ?? 0) + 1;
    m.resourceVersion = curMeta.resourceVersion;
    if (jsonEqual(obj, cur)) return cur; // a no-op write does not bump the resourceVersion
    m.resourceVersion = opts.dryRun ? curMeta.resourceVersion : this.nextVersion();
    if (!opts.dryRun) {
      this.table(t).set(objectKey(t, ns, name), obj);
      this.emit(t, obj, 'modified');
    }
    return obj;
  }

  /** Deletes now (no graceful termination). `preconditions` are DeleteOptions.preconditions. */
  remove(t: ResourceType, ns: string | null, name: string, opts: WriteOptions & { preconditions?: { uid?: string; resourceVersion?: string } } = {}): KubeObject {
    const cur = this.mustGet(t, ns, name);
    const m = metaOf(cur);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== m.uid) throw conflict(t, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(m.uid)}`);
    if (pre?.resourceVersion && pre.resourceVersion !== m.resourceVersion) {
      throw conflict(t, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(m.resourceVersion)}`);
    }
    if (!opts.dryRun) {
      this.table(t).delete(objectKey(t, ns, name));
      this.nextVersion();
      this.emit(t, cur, 'deleted');
    }
    return cur;
  }

  /**
   * One page of a list in key order. Cost is a binary search plus the objects walked for this page,
   * so paging through n objects is O(n log n) overall, not O(n²).
   */
  page(t: ResourceType, ns: string | null, opts: { limit?: number; continueToken?: string; filter?: (o: KubeObject) => boolean }): ListPage {
    const table = this.table(t);
    const keys = table.keys();
    const scoped = t.namespaced && ns !== null;
    let lo = scoped ? lowerBound(keys, `${ns}/`) : 0;
    const hi = scoped ? lowerBound(keys, `${ns}0`) : keys.length; // '0' sorts right after '/'
    let listRv = this.counter;
    if (opts.continueToken) {
      const token = decodeContinue(opts.continueToken);
      lo = Math.max(lo, lowerBound(keys, token.start));
      listRv = token.rv;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items: KubeObject[] = [];
    let i = lo;
    for (; i < hi && items.length < limit; i++) {
      const obj = table.objects.get(keys[i] ?? '');
      if (obj && (!opts.filter || opts.filter(obj))) items.push(obj);
    }
    this.scanned += i - lo;
    const page: ListPage = { items, resourceVersion: String(listRv) };
    if (i < hi && items.length >= limit) {
      page.continue = encodeContinue({ v: 'meta.k8s.io/v1', rv: listRv, start: `${keys[i - 1] ?? ''}\u0000` });
      if (!opts.filter) page.remainingItemCount = hi - i;
    }
    return page;
  }
}
