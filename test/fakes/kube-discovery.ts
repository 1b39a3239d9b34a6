import { KUBE_VERSION } from './kube-objects.js';
import { ALL_VERBS, type ResourceRegistry, type ResourceType, shortHash } from './kube-resources.js';

/**
 * Legacy (unaggregated) discovery documents: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.
 * Answered as plain application/json, so clients that ask for aggregated discovery
 * (apidiscovery.k8s.io/v2) fall back to these, as they do with any server that does not offer it.
 */

export function versionInfo(): Record<string, string> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: 'a78aa47129b8539636eb86a9d00e31b2720fe06b',
    gitTreeState: 'clean',
    buildDate: '2024-12-10T00:00:00Z',
    goVersion: 'go1.22.9',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(registry: ResourceRegistry, name: string): Record<string, unknown> {
  const versions = registry.versionsOf(name).map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function groupList(registry: ResourceRegistry): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().map((g) => groupDoc(registry, g)) };
}

export function apiGroup(registry: ResourceRegistry, name: string): Record<string, unknown> | undefined {
  if (!registry.groups().includes(name)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(registry, name) };
}

function resourceEntries(t: ResourceType): Array<Record<string, unknown>> {
  const main: Record<string, unknown> = {
    name: t.plural,
    singularName: t.singular,
    namespaced: t.namespaced,
    kind: t.kind,
    verbs: ALL_VERBS,
    ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    ...(t.categories ? { categories: t.categories } : {}),
    storageVersionHash: shortHash(`${t.group}/${t.version}/${t.kind}`, 11),
  };
  const subs = (t.subresources ?? []).map((s) => ({
    name: `${t.plural}/${s.name}`,
    singularName: t.singular,
    namespaced: t.namespaced,
    ...(s.group !== undefined ? { group: s.group } : {}),
    ...(s.version !== undefined ? { version: s.version } : {}),
    kind: s.kind,
    verbs: s.verbs,
  }));
  const status = t.hasStatus ? [{ name: `${t.plural}/status`, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : [];
  return [main, ...subs, ...status];
}

export function resourceList(registry: ResourceRegistry, group: string, version: string): Record<string, unknown> | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: types.flatMap(resourceEntries),
  };
}
