import type { Reply } from './kube-handlers.js';
import { badRequest, invalid, methodNotAllowed } from './kube-status.js';
import { isRecord, type KubeObject, type KubeRequestRecord, strOf } from './kube-types.js';

/**
 * SelfSubjectAccessReviews for the Kubernetes API stand-in (POST
 * /apis/authorization.k8s.io/v1/selfsubjectaccessreviews), answered from an allow-list of RBAC rules
 * as a ClusterRole writes them (optionally limited to some namespaces, as a RoleBinding would), or
 * "everything" until a test sets one. Only the answer is modelled: the stand-in does not enforce the
 * rules on other requests. Every review is kept in `reviews`.
 */

/** An RBAC PolicyRule; `namespaces` (the stand-in's own) grants it only there, as RoleBindings in those namespaces would. */
export interface AccessRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
  namespaces?: string[];
}

/** What RBAC sees in a request: `spec.resourceAttributes` of a review, or what a request to the API amounts to. */
export interface AccessAttributes {
  verb: string;
  group: string;
  /** With the subresource, RBAC style: `pods/eviction`. */
  resource: string;
  /** undefined: cluster-scoped; '': all namespaces. */
  namespace?: string;
  name?: string;
}

export interface AccessReviewRecord extends AccessAttributes {
  allowed: boolean;
}

export const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

const has = (list: readonly string[], v: string) => list.includes('*') || list.includes(v);

/** Whether one rule allows these attributes (RBAC: group, resource, verb, and resourceNames when the rule has them). */
export function ruleAllows(rule: AccessRule, a: AccessAttributes): boolean {
  if (!has(rule.apiGroups, a.group) || !has(rule.resources, a.resource) || !has(rule.verbs, a.verb)) return false;
  if (rule.resourceNames !== undefined && (a.name === undefined || !rule.resourceNames.includes(a.name))) return false;
  // Namespace-limited grants do not reach cluster-scoped resources or "all namespaces".
  if (rule.namespaces !== undefined && (a.namespace === undefined || a.namespace === '' || !rule.namespaces.includes(a.namespace))) return false;
  return true;
}

/** Cluster-scoped resources among those the stand-in serves; every other resource is namespaced. */
const CLUSTER_SCOPED = new Set(['nodes', 'namespaces', 'customresourcedefinitions', 'persistentvolumes', 'clusterroles', 'clusterrolebindings']);

/** The attributes of a request the stand-in recorded: API group, resource (with subresource), verb, namespace and name. */
export function accessOfRequest(r: Pick<KubeRequestRecord, 'method' | 'path' | 'query'>): AccessAttributes {
  const parts = r.path.split('/').filter(Boolean).map(decodeURIComponent);
  const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1] ?? '', parts.slice(3)];
  const namespaced = rest[0] === 'namespaces' && rest.length >= 3;
  const namespace = namespaced ? rest[1] : undefined;
  const [resource = '', name, sub] = namespaced ? rest.slice(2) : rest;
  const collection: Record<string, string> = { GET: r.query.watch === 'true' ? 'watch' : 'list', POST: 'create', DELETE: 'deletecollection' };
  const item: Record<string, string> = { GET: 'get', PATCH: 'patch', PUT: 'update', DELETE: 'delete', POST: 'create' };
  const verb = (name === undefined ? collection[r.method] : item[r.method]) ?? r.method;
  // A namespaced resource without a namespace in the path (/api/v1/pods) is "all namespaces".
  const ns = namespace ?? (CLUSTER_SCOPED.has(resource) ? undefined : '');
  return { verb, group, resource: sub ? `${resource}/${sub}` : resource, ...(ns !== undefined ? { namespace: ns } : {}), ...(name !== undefined ? { name } : {}) };
}

function attributesOf(body: unknown): AccessAttributes {
  if (!isRecord(body)) throw badRequest('the request body must be a JSON object');
  if (body.kind !== undefined && body.kind !== 'SelfSubjectAccessReview') throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (SelfSubjectAccessReview)`);
  const spec = isRecord(body.spec) ? body.spec : {};
  const ra = spec.resourceAttributes;
  if (!isRecord(ra)) {
    throw invalid('SelfSubjectAccessReview', 'authorization.k8s.io', '', 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified');
  }
  const resource = strOf(ra.resource) ?? '';
  const sub = strOf(ra.subresource);
  const namespace = strOf(ra.namespace);
  const name = strOf(ra.name);
  return {
    verb: strOf(ra.verb) ?? '',
    group: strOf(ra.group) ?? '',
    resource: sub ? `${resource}/${sub}` : resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined && name !== '' ? { name } : {}),
  };
}

export class AccessReviews {
  readonly reviews: AccessReviewRecord[] = [];
  private rules: readonly AccessRule[] | 'all' = 'all';

  /** From now on, only these rules allow anything. */
  allowOnly(rules: readonly AccessRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  /** Back to the default: every review is allowed. */
  allowAll(): void {
    this.rules = 'all';
  }

  allows(a: AccessAttributes): boolean {
    return this.rules === 'all' || this.rules.some((r) => ruleAllows(r, a));
  }

  /** The review as the API server answers it: 201 with the spec echoed and `status.allowed` (no `reason` when nothing allows it). */
  handle(method: string, body: unknown): Reply {
    if (method !== 'POST') throw methodNotAllowed();
    const a = attributesOf(body);
    const allowed = this.allows(a);
    this.reviews.push({ ...a, allowed });
    const status = allowed ? { allowed: true, reason: this.rules === 'all' ? 'stand-in: every review is allowed' : 'stand-in: allowed by its rules' } : { allowed: false };
    const reply: KubeObject = {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec: (body as { spec?: unknown }).spec,
      status,
    };
    return { code: 201, body: reply };
  }
}
