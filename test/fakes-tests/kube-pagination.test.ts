import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { type KubeClients, kubeClients } from '../fakes/kube-clients.js';

const PODS = 10_000;
const LIMIT = 500;

let api: KubeApiStandIn;
let k: KubeClients;

beforeAll(async () => {
  api = await KubeApiStandIn.start();
  for (let n = 0; n < 10; n++) api.addNode(`node-${n}`);
  const t0 = performance.now();
  // 20 namespaces x 5 deployments x 100 replicas = 10 000 pods, each Running/Ready with a ReplicaSet owner.
  for (let ns = 0; ns < 20; ns++) {
    for (let d = 0; d < 5; d++) api.addDeployment(`load-${String(ns).padStart(2, '0')}`, `svc-${d}`, { replicas: PODS / 100, labels: { app: `svc-${d}`, tier: d % 2 === 0 ? 'front' : 'back' } });
  }
  console.log(`[kube stand-in] seeded ${PODS} pods in ${Math.round(performance.now() - t0)} ms`);
  k = kubeClients(api);
});

afterAll(async () => {
  k.cleanup();
  await api.close();
});

async function pageThrough(list: (token: string | undefined) => Promise<{ items: Array<{ metadata?: { name?: string; namespace?: string } }>; metadata?: { _continue?: string; remainingItemCount?: number; resourceVersion?: string } }>) {
  const keys: string[] = [];
  const rvs = new Set<string | undefined>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await list(token);
    for (const p of page.items) keys.push(`${p.metadata?.namespace}/${p.metadata?.name}`);
    rvs.add(page.metadata?.resourceVersion);
    token = page.metadata?._continue;
    pages += 1;
  } while (token);
  return { keys, pages, rvs };
}

describe(`listing ${PODS} pods in pages of ${LIMIT} through client-node`, () => {
  it('returns every pod exactly once, in key order, with continue tokens until the end; work stays linear', async () => {
    const scannedBefore = api.listScanCount;
    const t0 = performance.now();
    const { keys, pages, rvs } = await pageThrough((token) => k.core.listPodForAllNamespaces({ limit: LIMIT, ...(token ? { _continue: token } : {}) }));
    const ms = Math.round(performance.now() - t0);
    console.log(`[kube stand-in] listed ${keys.length} pods in ${pages} pages of ${LIMIT} in ${ms} ms (client-node deserialisation included)`);
    expect(keys).toHaveLength(PODS);
    expect(new Set(keys).size).toBe(PODS);
    expect(pages).toBe(PODS / LIMIT);
    expect([...keys].sort()).toEqual(keys);
    expect(rvs.size).toBe(1); // every page reports the resourceVersion of the first, as a consistent list does
    // Linear: the pages together walk each stored pod once (a quadratic server would walk ~n²/(2·limit) = 100 000).
    expect(api.listScanCount - scannedBefore).toBe(PODS);
  });

  it('reports remainingItemCount on unfiltered pages', async () => {
    const first = await k.core.listPodForAllNamespaces({ limit: LIMIT });
    expect(first.metadata?.remainingItemCount).toBe(PODS - LIMIT);
    const ns = await k.core.listNamespacedPod({ namespace: 'load-07', limit: 120 });
    expect(ns.items).toHaveLength(120);
    expect(ns.metadata?.remainingItemCount).toBe(500 - 120);
  });

  it('paginates a filtered list (label selector across all namespaces; field selector in one)', async () => {
    const t0 = performance.now();
    const front = await pageThrough((token) => k.core.listPodForAllNamespaces({ limit: LIMIT, labelSelector: 'tier=front,app in (svc-0,svc-4)', ...(token ? { _continue: token } : {}) }));
    console.log(`[kube stand-in] label-selected ${front.keys.length} pods in ${front.pages} pages in ${Math.round(performance.now() - t0)} ms`);
    expect(front.keys).toHaveLength(4000);
    expect(new Set(front.keys).size).toBe(4000);
    const onNode = await pageThrough((token) => k.core.listNamespacedPod({ namespace: 'load-03', limit: 50, fieldSelector: 'spec.nodeName=node-3', ...(token ? { _continue: token } : {}) }));
    expect(onNode.keys.length).toBeGreaterThan(0);
    expect(onNode.keys.every((key) => key.startsWith('load-03/'))).toBe(true);
    const direct = api.list('pods', 'load-03').filter((p) => (p.spec as { nodeName?: string }).nodeName === 'node-3');
    expect(onNode.keys).toHaveLength(direct.length);
  });
});
