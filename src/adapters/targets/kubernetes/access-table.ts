/**
 * What each fault asks of the API server, in RBAC's terms: verb, API group, resource (and
 * subresource), and where (the targets' namespaces, every namespace, or cluster-scoped). One table
 * for inject, revert and the revert receipt together, so `faultline run --dry-run` can ask about
 * every one of them (a SelfSubjectAccessReview each) before anything changes.
 * `test/adapters/kubernetes-access.test.ts` runs every fault against the API stand-in and checks the
 * table names exactly the calls it made.
 */
import type { KubernetesFaultParams, KubernetesFaultType, KubernetesTargetConfig } from './schema.js';
import { CHAOS_MESH_KINDS } from './schema.js';
import type { TargetRef } from './targets.js';

/** One permission as a SelfSubjectAccessReview asks it. */
export interface KubeAccess {
  verb: string;
  /** API group; '' is the core group. */
  group: string;
  resource: string;
  subresource?: string;
  /** undefined: a cluster-scoped resource; '': every namespace; else one namespace. */
  namespace?: string;
  /** One object by name (RBAC `resourceNames`). */
  name?: string;
}

/**
 * Where a need applies: `targets` each target's namespace, `dependency` the dependency's namespace
 * (dependency-down), `all` every namespace at once (a drain evicts whatever runs on its nodes),
 * `cluster` a cluster-scoped resource.
 */
type Scope = 'targets' | 'dependency' | 'all' | 'cluster';

interface Need<P> {
  verb: string;
  group: string;
  /** The resource, or how to name it from the parameters and the target (a workload's kind, a Chaos Mesh kind). */
  resource: string | ((p: P, ref: TargetRef | undefined) => string);
  subresource?: string;
  scope: Scope;
  name?: (p: P) => string;
  /** Needed only with these parameters or settings (pod-delete's interval, opt-in mode). */
  when?: (p: P, config: Pick<KubernetesTargetConfig, 'optInNamespaces'>) => boolean;
  /** Which step makes the call (for the README and the reader). */
  why: string;
}

const workload = (_p: unknown, ref: TargetRef | undefined) => (ref?.kind === 'statefulset' ? 'statefulsets' : 'deployments');

const DRAIN: Need<unknown>[] = [
  { verb: 'get', group: '', resource: 'nodes', scope: 'cluster', why: 'inject reads each node; revert and the receipt read it back' },
  { verb: 'patch', group: '', resource: 'nodes', scope: 'cluster', why: 'cordon with the marks; revert uncordons' },
  { verb: 'list', group: '', resource: 'pods', scope: 'all', why: 'the pods on each node, in every namespace' },
  { verb: 'list', group: '', resource: 'namespaces', scope: 'cluster', when: (_p, c) => c.optInNamespaces, why: 'opt-in mode: which namespaces may be evicted from' },
  { verb: 'create', group: '', resource: 'pods', subresource: 'eviction', scope: 'all', why: 'evicts through the Eviction API, in whatever namespace the pods are' },
];

const NETWORK: Need<unknown>[] = [
  { verb: 'get', group: '', resource: 'pods', scope: 'targets', why: 'inject and revert read each pod before labelling it; the receipt reads it back' },
  { verb: 'patch', group: '', resource: 'pods', scope: 'targets', why: 'the handle label on each pod; revert removes it' },
  { verb: 'create', group: 'networking.k8s.io', resource: 'networkpolicies', scope: 'targets', why: 'the policy selecting the labelled pods' },
  { verb: 'delete', group: 'networking.k8s.io', resource: 'networkpolicies', scope: 'targets', why: 'revert deletes the policy' },
  { verb: 'get', group: 'networking.k8s.io', resource: 'networkpolicies', scope: 'targets', why: 'the receipt reads it back (404: gone)' },
];

/** Every fault type's needs; `accessNeeds` turns them into concrete reviews for a plan. */
export const KUBE_ACCESS: { readonly [K in KubernetesFaultType]: readonly Need<KubernetesFaultParams[K]>[] } = {
  'pod-delete': [
    { verb: 'delete', group: '', resource: 'pods', scope: 'targets', why: 'deletes the chosen pods (and, with interval, their successors)' },
    { verb: 'list', group: '', resource: 'pods', scope: 'targets', when: (p) => p.interval !== undefined, why: 'each interval lists the successors' },
  ],
  'scale-down': [
    { verb: 'get', group: 'apps', resource: workload, scope: 'targets', why: 'inject and revert read the workload; the receipt reads it back' },
    { verb: 'patch', group: 'apps', resource: workload, scope: 'targets', why: 'replicas and marks in one merge patch; revert patches them back' },
  ],
  'node-drain': DRAIN,
  'zone-outage': DRAIN,
  'network-partition': NETWORK,
  'dependency-down': [...NETWORK, { verb: 'list', group: '', resource: 'pods', scope: 'dependency', why: "the dependency's pod IPs, left out of the allowed addresses" }],
  'dns-outage': NETWORK,
  'chaos-mesh': [
    {
      verb: 'get',
      group: 'apiextensions.k8s.io',
      resource: 'customresourcedefinitions',
      scope: 'cluster',
      name: (p) => `${CHAOS_MESH_KINDS[p.kind]}.chaos-mesh.org`,
      why: 'is Chaos Mesh installed, which version',
    },
    { verb: 'create', group: 'chaos-mesh.org', resource: (p) => CHAOS_MESH_KINDS[p.kind], scope: 'targets', why: 'the Chaos Mesh resource' },
    { verb: 'delete', group: 'chaos-mesh.org', resource: (p) => CHAOS_MESH_KINDS[p.kind], scope: 'targets', why: 'revert deletes it' },
    { verb: 'get', group: 'chaos-mesh.org', resource: (p) => CHAOS_MESH_KINDS[p.kind], scope: 'targets', why: 'the receipt reads it back (404: gone)' },
  ],
};

const keyOf = (a: KubeAccess) => [a.verb, a.group, a.resource, a.subresource ?? '', a.namespace ?? '\u0000cluster', a.name ?? ''].join('|');

/** The reviews a fault needs on these targets (namespaced targets: pods and workloads), each once, in table order. */
export function accessNeeds<K extends KubernetesFaultType>(
  faultType: K,
  params: KubernetesFaultParams[K],
  refs: readonly TargetRef[],
  config: Pick<KubernetesTargetConfig, 'optInNamespaces'>,
): KubeAccess[] {
  const out = new Map<string, KubeAccess>();
  const add = (a: KubeAccess) => {
    if (!out.has(keyOf(a))) out.set(keyOf(a), a);
  };
  const namespaced = refs.filter((r) => r.kind !== 'node');
  for (const need of KUBE_ACCESS[faultType] as readonly Need<KubernetesFaultParams[K]>[]) {
    if (need.when && !need.when(params, config)) continue;
    const base = (ref: TargetRef | undefined): KubeAccess => ({
      verb: need.verb,
      group: need.group,
      resource: typeof need.resource === 'string' ? need.resource : need.resource(params, ref),
      ...(need.subresource !== undefined ? { subresource: need.subresource } : {}),
      ...(need.name ? { name: need.name(params) } : {}),
    });
    switch (need.scope) {
      case 'cluster':
        add(base(undefined));
        break;
      case 'all':
        add({ ...base(undefined), namespace: '' });
        break;
      case 'targets':
        for (const ref of namespaced) add({ ...base(ref), namespace: ref.namespace ?? '' });
        break;
      case 'dependency': {
        const dep = (params as { dependencyNamespace?: string }).dependencyNamespace;
        for (const ref of namespaced) add({ ...base(ref), namespace: dep ?? ref.namespace ?? '' });
        break;
      }
    }
  }
  return [...out.values()];
}

/** RBAC's spelling of a permission: "patch deployments.apps in shop", "create pods/eviction in all namespaces", "patch nodes". */
export function describeAccess(a: KubeAccess): string {
  const resource = `${a.resource}${a.group ? `.${a.group}` : ''}${a.subresource ? `/${a.subresource}` : ''}`;
  const name = a.name !== undefined ? ` named ${a.name}` : '';
  const where = a.namespace === undefined ? '' : a.namespace === '' ? ' in all namespaces' : ` in ${a.namespace}`;
  return `${a.verb} ${resource}${name}${where}`;
}
