import { evictPod, type PolicyTypes, withBudgetStatus } from './kube-eviction.js';
import { applyCreateDefaults } from './kube-objects.js';
import { applyPatch } from './kube-patch.js';
import { apiVersionOf, type ResourceType } from './kube-resources.js';
import { listFilter, selectorString } from './kube-selectors.js';
import { badRequest, conflict, invalid, methodNotAllowed, pathNotFound, success } from './kube-status.js';
import type { KubeStore } from './kube-store.js';
import { clone, fieldOf, isRecord, type KubeObject, metaOf, nowIso, strOf } from './kube-types.js';

export interface Route {
  type: ResourceType;
  ns: string | null;
  name?: string;
  sub?: string;
}

export interface Reply {
  code: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface HandlerDeps {
  store: KubeStore;
  policy: PolicyTypes;
  /** A CRD was created or deleted through the API. */
  onCrd(crd: KubeObject, event: 'added' | 'deleted'): void;
}

export interface Call {
  method: string;
  route: Route;
  query: Record<string, string>;
  body: unknown;
  contentType: string | undefined;
}

/** Adds what the server computes on read (a PodDisruptionBudget's status). */
export function present(deps: HandlerDeps, t: ResourceType, obj: KubeObject): KubeObject {
  return t === deps.policy.pdbs ? withBudgetStatus(deps.store, deps.policy, obj) : obj;
}

function bodyObject(body: unknown): KubeObject {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON object');
  return body;
}

function checkKind(t: ResourceType, body: KubeObject): void {
  if (body.kind !== undefined && body.kind !== t.kind) throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${t.kind})`);
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(t)) {
    throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`);
  }
}

function list(deps: HandlerDeps, route: Route, query: Record<string, string>): Reply {
  const t = route.type;
  if (query.watch === 'true' || query.watch === '1') throw methodNotAllowed();
  const limit = query.limit !== undefined ? Number(query.limit) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit: ${query.limit ?? ''}`);
  const filter = listFilter(t, query.labelSelector, query.fieldSelector);
  const page = deps.store.page(t, route.ns, { limit, ...(query.continue ? { continueToken: query.continue } : {}), ...(filter ? { filter } : {}) });
  const metadata: Record<string, unknown> = { resourceVersion: page.resourceVersion };
  if (page.continue) metadata.continue = page.continue;
  if (page.remainingItemCount !== undefined) metadata.remainingItemCount = page.remainingItemCount;
  return { code: 200, body: { kind: `${t.kind}List`, apiVersion: apiVersionOf(t), metadata, items: page.items.map((o) => present(deps, t, o)) } };
}

function deleted(deps: HandlerDeps, t: ResourceType, obj: KubeObject, options: Record<string, unknown>, dryRun: boolean): Reply {
  if (t.kind === 'CustomResourceDefinition' && !dryRun) deps.onCrd(obj, 'deleted');
  if (!t.returnDeleted) {
    const m = metaOf(obj);
    return { code: 200, body: success(200, { name: m.name, ...(t.group ? { group: t.group } : {}), kind: t.plural, uid: m.uid }) };
  }
  const out = clone(obj);
  if (t.kind === 'Pod') {
    const m = metaOf(out);
    m.deletionTimestamp = nowIso();
    m.deletionGracePeriodSeconds = typeof options.gracePeriodSeconds === 'number' ? options.gracePeriodSeconds : 30;
  }
  return { code: 200, body: out };
}

function scaleOf(obj: KubeObject): KubeObject {
  const m = metaOf(obj);
  const spec = fieldOf(obj, 'spec');
  const status = isRecord(obj.status) ? obj.status : {};
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector: selectorString(spec.selector) },
  };
}

function scale(deps: HandlerDeps, call: Call, name: string, dryRun: boolean): Reply {
  const { type: t, ns } = call.route;
  if (!t.subresources?.some((s) => s.name === 'scale')) throw pathNotFound();
  const cur = deps.store.mustGet(t, ns, name);
  if (call.method === 'GET') return { code: 200, body: scaleOf(cur) };
  if (call.method !== 'PUT' && call.method !== 'PATCH') throw methodNotAllowed();
  const next = call.method === 'PUT' ? bodyObject(call.body) : applyPatch(scaleOf(cur), call.contentType, call.body);
  const rv = strOf(fieldOf(next, 'metadata').resourceVersion);
  if (rv && rv !== metaOf(cur).resourceVersion) throw conflict(t, name);
  const replicas = fieldOf(next, 'spec').replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', name, 'spec.replicas', `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`);
  }
  const updated = deps.store.update(t, ns, name, { ...cur, spec: { ...fieldOf(cur, 'spec'), replicas } }, { keepStatus: true, dryRun });
  return { code: 200, body: scaleOf(updated) };
}

function status(deps: HandlerDeps, call: Call, name: string, dryRun: boolean): Reply {
  const { type: t, ns } = call.route;
  if (!t.hasStatus) throw pathNotFound();
  const cur = deps.store.mustGet(t, ns, name);
  if (call.method === 'GET') return { code: 200, body: present(deps, t, cur) };
  if (call.method !== 'PUT' && call.method !== 'PATCH') throw methodNotAllowed();
  const next = call.method === 'PUT' ? bodyObject(call.body) : applyPatch(cur, call.contentType, call.body);
  const rv = strOf(fieldOf(next, 'metadata').resourceVersion);
  if (rv && rv !== metaOf(cur).resourceVersion) throw conflict(t, name);
  return { code: 200, body: deps.store.update(t, ns, name, { ...cur, status: next.status }, { dryRun }) };
}

/** Serves one resource request: list/get/create/update/patch/delete and the scale, status and eviction subresources. */
export function handleResource(deps: HandlerDeps, call: Call): Reply {
  const { method, route, query } = call;
  const t = route.type;
  const dryRun = query.dryRun === 'All';
  if (route.name === undefined) {
    if (method === 'GET') return list(deps, route, query);
    if (method !== 'POST') throw methodNotAllowed();
    const body = bodyObject(call.body);
    checkKind(t, body);
    const draft = clone(body);
    applyCreateDefaults(t.kind, draft);
    const created = deps.store.create(t, route.ns, draft, { dryRun });
    if (t.kind === 'CustomResourceDefinition' && !dryRun) deps.onCrd(created, 'added');
    return { code: 201, body: present(deps, t, created) };
  }
  const name = route.name;
  if (route.sub === 'scale') return scale(deps, call, name, dryRun);
  if (route.sub === 'status') return status(deps, call, name, dryRun);
  if (route.sub === 'eviction') {
    if (t.kind !== 'Pod') throw pathNotFound();
    if (method !== 'POST') throw methodNotAllowed();
    return { code: 201, body: evictPod(deps.store, deps.policy, route.ns ?? 'default', name, call.body, dryRun) };
  }
  if (route.sub !== undefined) throw pathNotFound();
  switch (method) {
    case 'GET':
      return { code: 200, body: present(deps, t, deps.store.mustGet(t, route.ns, name)) };
    case 'PUT': {
      const body = bodyObject(call.body);
      checkKind(t, body);
      return { code: 200, body: present(deps, t, deps.store.update(t, route.ns, name, body, { keepStatus: true, dryRun })) };
    }
    case 'PATCH': {
      const cur = deps.store.mustGet(t, route.ns, name);
      const patched = applyPatch(cur, call.contentType, call.body);
      return { code: 200, body: present(deps, t, deps.store.update(t, route.ns, name, patched, { keepStatus: true, dryRun })) };
    }
    case 'DELETE': {
      const options = isRecord(call.body) ? call.body : {};
      const pre = isRecord(options.preconditions) ? options.preconditions : {};
      const dry = dryRun || (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
      const removed = deps.store.remove(t, route.ns, name, {
        dryRun: dry,
        preconditions: { ...(typeof pre.uid === 'string' ? { uid: pre.uid } : {}), ...(typeof pre.resourceVersion === 'string' ? { resourceVersion: pre.resourceVersion } : {}) },
      });
      return deleted(deps, t, removed, options, dry);
    }
    default:
      throw methodNotAllowed();
  }
}
