import { type AccessReviews, SSAR_PATH } from './kube-access.js';
import { apiGroup, coreVersions, groupList, resourceList, versionInfo } from './kube-discovery.js';
import { type HandlerDeps, handleResource, type Reply, type Route } from './kube-handlers.js';
import type { ResourceRegistry } from './kube-resources.js';
import { methodNotAllowed, pathNotFound } from './kube-status.js';

/** Paths anyone may read, as with the system:public-info-viewer role. */
export const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

function segments(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
}

/** Resolves `/api/v1/...` and `/apis/<group>/<version>/...` to a resource route, or undefined when nothing serves it. */
export function resolveRoute(registry: ResourceRegistry, path: string): Route | undefined {
  const segs = segments(path);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs[1] === 'v1') [group, version, rest] = ['', 'v1', segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length > 3) [group, version, rest] = [segs[1] ?? '', segs[2] ?? '', segs.slice(3)];
  else return undefined;
  let ns: string | null = null;
  let plural: string | undefined;
  let name: string | undefined;
  let sub: string | undefined;
  const namespaceSub = rest[0] === 'namespaces' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSub) {
    if (rest.length > 5) return undefined;
    [ns, plural, name, sub] = [rest[1] ?? '', rest[2], rest[3], rest[4]];
  } else {
    if (rest.length > 3 || rest.length === 0) return undefined;
    [plural, name, sub] = [rest[0], rest[1], rest[2]];
  }
  const type = plural ? registry.find(group, version, plural) : undefined;
  if (!type) return undefined;
  if (ns !== null && !type.namespaced) return undefined;
  if (ns === null && type.namespaced && name !== undefined) return undefined;
  return { type, ns, ...(name !== undefined ? { name } : {}), ...(sub !== undefined ? { sub } : {}) };
}

export interface RouterContext {
  registry: ResourceRegistry;
  deps: HandlerDeps;
  /** SelfSubjectAccessReviews, answered from an allow-list. */
  access: AccessReviews;
  serverAddress: string;
}

function discovery(ctx: RouterContext, path: string): unknown {
  const segs = segments(path);
  if (path === '/version' || path === '/version/') return versionInfo();
  if (['/healthz', '/livez', '/readyz'].includes(path)) return 'ok';
  if (segs[0] === 'api' && segs.length === 1) return coreVersions(ctx.serverAddress);
  if (segs[0] === 'api' && segs.length === 2) return resourceList(ctx.registry, '', segs[1] ?? '');
  if (segs[0] === 'apis' && segs.length === 1) return groupList(ctx.registry);
  if (segs[0] === 'apis' && segs.length === 2) return apiGroup(ctx.registry, segs[1] ?? '');
  if (segs[0] === 'apis' && segs.length === 3) return resourceList(ctx.registry, segs[1] ?? '', segs[2] ?? '');
  return undefined;
}

/** Answers one request: discovery documents, or a resource operation. Throws KubeApiError for failures. */
export function routeRequest(ctx: RouterContext, method: string, path: string, query: Record<string, string>, body: unknown, contentType: string | undefined): Reply {
  if (path === SSAR_PATH || path === `${SSAR_PATH}/`) return ctx.access.handle(method, body);
  const route = resolveRoute(ctx.registry, path);
  if (route) return handleResource(ctx.deps, { method, route, query, body, contentType });
  const doc = discovery(ctx, path);
  if (doc === undefined) throw pathNotFound();
  if (method !== 'GET') throw methodNotAllowed();
  return { code: 200, body: doc };
}
