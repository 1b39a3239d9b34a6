import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeApiStandIn } from './kube-api.js';

/**
 * One kubeconfig naming several stand-in API servers, one context each (`{ prod: apiA, other: apiB }`),
 * the way a person's ~/.kube/config names several clusters. `current` is its current-context.
 */
export function writeMultiKubeconfig(dir: string, clusters: Record<string, KubeApiStandIn>, current: string, file = 'kubeconfig-multi.yaml'): string {
  const names = Object.keys(clusters);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((n) => ({ name: n, cluster: { server: clusters[n]!.url, 'insecure-skip-tls-verify': true } })),
    users: names.map((n) => ({ name: `${n}-user`, user: { token: clusters[n]!.token } })),
    contexts: names.map((n) => ({ name: n, context: { cluster: n, user: `${n}-user`, namespace: 'default' } })),
    'current-context': current,
    preferences: {},
  };
  const path = join(dir, file);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
