import { createHash } from 'node:crypto';
import type { KubeObject } from './kube-types.js';

export interface SubresourceType {
  name: string;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
}

/** One REST resource the stand-in serves, described the way discovery describes it. */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceType[];
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldLabels?: string[];
  /** The resource has a status subresource: writes through the main resource keep the old status. */
  hasStatus: boolean;
  /** DELETE answers with the object (pods, custom resources) rather than a Status. */
  returnDeleted: boolean;
  /** metadata.generation is kept and bumped on spec changes. */
  generation: boolean;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `pods`, `deployments.apps`, `networkchaos.chaos-mesh.org`: the name used in Status messages. */
export function qualifiedName(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

/** Stamps `kind` and `apiVersion` on an object of this type. */
export function typed(t: ResourceType, obj: KubeObject): KubeObject {
  return { apiVersion: apiVersionOf(t), kind: t.kind, ...obj };
}

const SCALE: SubresourceType = { name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] };

function builtin(t: Omit<ResourceType, 'hasStatus' | 'returnDeleted' | 'generation'> & Partial<ResourceType>): ResourceType {
  return { hasStatus: true, returnDeleted: false, generation: t.group !== '', ...t };
}

export const BUILTIN_RESOURCES: ResourceType[] = [
  builtin({ group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'], fieldLabels: ['status.phase'] }),
  builtin({ group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'], fieldLabels: ['spec.unschedulable'] }),
  builtin({
    group: '',
    version: 'v1',
    plural: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    returnDeleted: true,
    subresources: [{ name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] }],
    fieldLabels: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
  }),
  builtin({ group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: [SCALE] }),
  builtin({ group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: [SCALE] }),
  builtin({ group: 'apps', version: 'v1', plural: 'statefulsets', singular: 'statefulset', kind: 'StatefulSet', namespaced: true, shortNames: ['sts'], categories: ['all'], subresources: [SCALE] }),
  builtin({ group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', kind: 'PodDisruptionBudget', namespaced: true, shortNames: ['pdb'] }),
  builtin({ group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', singular: 'networkpolicy', kind: 'NetworkPolicy', namespaced: true, shortNames: ['netpol'], hasStatus: false }),
  builtin({
    group: 'apiextensions.k8s.io',
    version: 'v1',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
  }),
];

export const CHAOS_MESH_GROUP = 'chaos-mesh.org';
export const CHAOS_MESH_VERSION = 'v1alpha1';
export const CHAOS_MESH_KINDS: ReadonlyArray<{ plural: string; kind: string }> = [
  { plural: 'networkchaos', kind: 'NetworkChaos' },
  { plural: 'httpchaos', kind: 'HTTPChaos' },
  { plural: 'stresschaos', kind: 'StressChaos' },
  { plural: 'timechaos', kind: 'TimeChaos' },
];

/** A CustomResourceDefinition object as `kubectl get crd -o json` shows it once established. */
export function crdObject(group: string, version: string, plural: string, kind: string): KubeObject {
  const singular = kind.toLowerCase();
  const names = { plural, singular, kind, listKind: `${kind}List` };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names,
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {} },
        },
      ],
      conversion: { strategy: 'None' },
    },
    status: {
      acceptedNames: names,
      storedVersions: [version],
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
    },
  };
}

/** The resource types a CRD object serves (one per served version). */
export function resourcesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = crd.spec as { group?: string; scope?: string; names?: Record<string, unknown>; versions?: Array<Record<string, unknown>> } | undefined;
  const names = spec?.names ?? {};
  const plural = typeof names.plural === 'string' ? names.plural : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  if (!spec?.group || !plural || !kind) return [];
  const singular = typeof names.singular === 'string' ? names.singular : kind.toLowerCase();
  const shortNames = Array.isArray(names.shortNames) ? names.shortNames.filter((s): s is string => typeof s === 'string') : undefined;
  return (spec.versions ?? [])
    .filter((v) => v.served !== false && typeof v.name === 'string')
    .map((v) => ({
      group: spec.group ?? '',
      version: String(v.name),
      plural,
      singular,
      kind,
      namespaced: spec.scope !== 'Cluster',
      ...(shortNames && shortNames.length > 0 ? { shortNames } : {}),
      hasStatus: true,
      returnDeleted: true,
      generation: true,
    }));
}

/** The resource types currently served, looked up by group/version/plural. */
export class ResourceRegistry {
  private readonly byKey = new Map<string, ResourceType>();

  constructor(types: ResourceType[] = BUILTIN_RESOURCES) {
    for (const t of types) this.register(t);
  }

  register(t: ResourceType): void {
    this.byKey.set(`${t.group}/${t.version}/${t.plural}`, t);
  }

  unregister(group: string, plural: string): void {
    for (const [key, t] of this.byKey) if (t.group === group && t.plural === plural) this.byKey.delete(key);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byKey.get(`${group}/${version}/${plural}`);
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  /** By plural, singular or kind, case-insensitively (`pods`, `pod`, `Pod`). */
  lookup(name: string): ResourceType | undefined {
    const n = name.toLowerCase();
    return this.all().find((t) => t.plural === n || t.singular === n || t.kind.toLowerCase() === n || t.shortNames?.includes(n));
  }

  versionsOf(group: string): string[] {
    return [...new Set(this.all().filter((t) => t.group === group).map((t) => t.version))];
  }

  groups(): string[] {
    return [...new Set(this.all().map((t) => t.group))].filter((g) => g !== '');
  }
}

/** A stable hash in the style of the API server's storageVersionHash / pod-template-hash. */
export function shortHash(input: string, length = 10): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const digest = createHash('sha256').update(input).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}
