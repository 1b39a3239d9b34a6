import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { type KubeClients, kubeClients, kubeError } from '../fakes/kube-clients.js';

let api: KubeApiStandIn;
let k: KubeClients;

beforeEach(async () => {
  api = await KubeApiStandIn.start();
  api.addNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'eu-1a' } });
  api.addNode('node-b', { labels: { 'topology.kubernetes.io/zone': 'eu-1b' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web', tier: 'front' } });
  api.addDeployment('shop', 'api', { replicas: 2, labels: { app: 'api', tier: 'back' } });
  api.addPod('shop', { name: 'batch-1', labels: { app: 'batch' }, nodeName: 'node-a', phase: 'Succeeded', ready: false });
  api.addPod('ops', { name: 'debug', labels: { app: 'debug', canary: 'true' }, nodeName: 'node-b' });
  k = kubeClients(api);
});

afterEach(async () => {
  k.cleanup();
  await api.close();
});

const names = (pods: V1Pod[]) => pods.map((p) => p.metadata?.name ?? '');

describe('Kubernetes API stand-in: reads, through the real @kubernetes/client-node 1.4', () => {
  it('loads the kubeconfig it wrote: context stand-in, namespace default, bearer token', () => {
    expect(k.kc.getCurrentContext()).toBe('stand-in');
    expect(k.kc.getContextObject('stand-in')?.namespace).toBe('default');
    expect(k.kc.getCurrentCluster()?.server).toBe(api.url);
    expect(k.kc.getCurrentUser()?.token).toBe(api.token);
  });

  it('lists pods across namespaces and per namespace, with kind/apiVersion and list metadata', async () => {
    const all = await k.core.listPodForAllNamespaces();
    expect(all.kind).toBe('PodList');
    expect(all.apiVersion).toBe('v1');
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(all.items).toHaveLength(7);
    expect(all.items.map((p) => p.metadata?.namespace)).toEqual(['ops', 'shop', 'shop', 'shop', 'shop', 'shop', 'shop']); // key order
    const shop = await k.core.listNamespacedPod({ namespace: 'shop' });
    expect(shop.items).toHaveLength(6);
    const web = shop.items.find((p) => p.metadata?.labels?.app === 'web');
    expect(web?.status?.phase).toBe('Running');
    expect(web?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(web?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    expect(web?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(web?.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('filters by label selectors (equality, set-based, existence) and field selectors', async () => {
    const list = async (labelSelector?: string, fieldSelector?: string) =>
      names((await k.core.listPodForAllNamespaces({ ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items);
    expect(await list('app=web')).toHaveLength(3);
    expect(await list('app in (web,api),tier!=front')).toHaveLength(2);
    expect(await list('app notin (web,api,batch)')).toEqual(['debug']);
    expect(await list('canary')).toEqual(['debug']);
    expect(await list('!tier')).toEqual(['debug', 'batch-1']);
    expect(await list(undefined, 'status.phase=Succeeded')).toEqual(['batch-1']);
    expect(await list(undefined, 'metadata.namespace=ops')).toEqual(['debug']);
    expect(await list('app=web', 'spec.nodeName=node-a,status.phase=Running')).toHaveLength((await list('app=web', 'spec.nodeName=node-a')).length);
    expect(await list(undefined, 'metadata.name=batch-1')).toEqual(['batch-1']);
    const nodes = await k.core.listNode({ labelSelector: 'topology.kubernetes.io/zone=eu-1b' });
    expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['node-b']);

    const bad = await kubeError(k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app in web' }));
    expect(bad.code).toBe(400);
    expect(bad.status?.reason).toBe('BadRequest');
    const badField = await kubeError(k.core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.image=x' }));
    expect(badField.status?.message).toContain('"spec.image" is not a known field selector');
  });

  it('paginates with limit and an opaque continue token until the end', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await k.core.listPodForAllNamespaces({ limit: 3, ...(token ? { _continue: token } : {}) });
      seen.push(...names(page.items));
      token = page.metadata?._continue;
      pages += 1;
      if (token) expect(page.metadata?.remainingItemCount).toBe(7 - seen.length);
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const broken = await kubeError(k.core.listNamespacedPod({ namespace: 'shop', _continue: 'not-a-token' }));
    expect(broken.code).toBe(400);
  });

  it('gets namespaces, nodes and pods; a missing object is a 404 NotFound Status', async () => {
    const namespaces = names((await k.core.listNamespace()).items as V1Pod[]);
    expect(namespaces).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system', 'ops', 'shop']);
    const ns = await k.core.readNamespace({ name: 'shop' });
    expect(ns.metadata?.labels?.['kubernetes.io/metadata.name']).toBe('shop');
    expect(ns.status?.phase).toBe('Active');
    const node = await k.core.readNode({ name: 'node-a' });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const missing = await kubeError(k.core.readNamespacedPod({ name: 'ghost', namespace: 'shop' }));
    expect(missing.code).toBe(404);
    expect(missing.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "ghost" not found',
      reason: 'NotFound',
      details: { name: 'ghost', kind: 'pods' },
      code: 404,
    });
    const missingDeploy = await kubeError(k.apps.readNamespacedDeployment({ name: 'ghost', namespace: 'shop' }));
    expect(missingDeploy.status?.message).toBe('deployments.apps "ghost" not found');
  });

  it('serves discovery: /version, /api, /apis and group resource lists', async () => {
    const get = async (path: string) => (await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.token}` } })).json() as Promise<Record<string, unknown>>;
    expect(await get('/version')).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    expect(await get('/api')).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await get('/apis')) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(['apps', 'policy', 'networking.k8s.io', 'apiextensions.k8s.io']);
    const apps = (await get('/apis/apps/v1')) as { resources: Array<Record<string, unknown>> };
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', group: 'autoscaling', version: 'v1', kind: 'Scale' }));
    const core = (await get('/api/v1')) as { resources: Array<Record<string, unknown>> };
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'pods/eviction', group: 'policy', kind: 'Eviction', verbs: ['create'] }));
    expect(core.resources).toContainEqual(expect.objectContaining({ name: 'pods', namespaced: true, shortNames: ['po'] }));
  });
});

describe('Kubernetes API stand-in: writes, auth and injected behaviour', () => {
  it('creates pods (409 AlreadyExists on a taken name, generateName, 404 for a missing namespace)', async () => {
    const created = await k.core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'probe', labels: { app: 'probe' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    expect(created.metadata?.resourceVersion).toBeDefined();
    expect(created.status?.phase).toBe('Pending');
    const dup = await kubeError(k.core.createNamespacedPod({ namespace: 'shop', body: { metadata: { name: 'probe' }, spec: { containers: [] } } }));
    expect(dup.code).toBe(409);
    expect(dup.status).toMatchObject({ reason: 'AlreadyExists', message: 'pods "probe" already exists' });
    const generated = await k.core.createNamespacedPod({ namespace: 'shop', body: { metadata: { generateName: 'probe-' }, spec: { containers: [] } } });
    expect(generated.metadata?.name).toMatch(/^probe-[a-z0-9]{5}$/);
    const noNs = await kubeError(k.core.createNamespacedPod({ namespace: 'nowhere', body: { metadata: { name: 'x' }, spec: { containers: [] } } }));
    expect(noNs.status).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
  });

  it('deletes a pod (answering with the pod) and 404s a second delete', async () => {
    const victim = names((await k.core.listNamespacedPod({ namespace: 'ops' })).items)[0] ?? '';
    const deleted = await k.core.deleteNamespacedPod({ name: victim, namespace: 'ops' });
    expect(deleted.metadata?.name).toBe(victim);
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(api.get('pods', 'ops', victim)).toBeUndefined();
    const again = await kubeError(k.core.deleteNamespacedPod({ name: victim, namespace: 'ops' }));
    expect(again.status).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('answers a write carrying a stale resourceVersion with 409 Conflict (PUT and PATCH)', async () => {
    const pod = await k.core.readNamespacedPod({ name: 'debug', namespace: 'ops' });
    const staleRv = pod.metadata?.resourceVersion ?? '';
    const labelled = await k.core.patchNamespacedPod(
      { name: 'debug', namespace: 'ops', body: { metadata: { labels: { chaos: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(Number(labelled.metadata?.resourceVersion)).toBeGreaterThan(Number(staleRv));
    const put = await kubeError(k.core.replaceNamespacedPod({ name: 'debug', namespace: 'ops', body: pod }));
    expect(put.code).toBe(409);
    expect(put.status).toMatchObject({
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on pods "debug": the object has been modified; please apply your changes to the latest version and try again',
    });
    const patch = await kubeError(
      k.core.patchNamespacedPod({ name: 'debug', namespace: 'ops', body: { metadata: { resourceVersion: staleRv, labels: { chaos: 'no' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    );
    expect(patch.code).toBe(409);
    const fresh = await k.core.replaceNamespacedPod({ name: 'debug', namespace: 'ops', body: { ...labelled, metadata: { ...labelled.metadata, annotations: { note: 'ok' } } } });
    expect(fresh.metadata?.annotations).toEqual({ note: 'ok' });
  });

  it('requires the bearer token: 401 Status without it or with a wrong one', async () => {
    const raw = await fetch(`${api.url}/api/v1/pods`);
    expect(raw.status).toBe(401);
    expect(await raw.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: api.url, skipTLSVerify: true }],
      users: [{ name: 'u', token: 'wrong' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const denied = await kubeError(kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'shop' }));
    expect(denied.code).toBe(401);
    expect(denied.status).toBeUndefined(); // client-node 1.4 drops the 401 body
    expect(api.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/shop/pods', status: 401 });
  });

  it('does not serve watches: ?watch=true is refused with 405 rather than left hanging', async () => {
    const res = await fetch(`${api.url}/api/v1/namespaces/shop/pods?watch=true`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed' });
  });

  it('unknown paths are a 404 Status', async () => {
    const res = await fetch(`${api.url}/apis/example.com/v1/widgets`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
  });

  it('failNext answers with a proper Status and leaves the state alone; later calls succeed', async () => {
    api.failNext({ method: 'DELETE', pathIncludes: '/pods/debug' }, 503, 2);
    for (let i = 0; i < 2; i++) {
      const e = await kubeError(k.core.deleteNamespacedPod({ name: 'debug', namespace: 'ops' }));
      expect(e.code).toBe(503);
      expect(e.status).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    }
    expect(api.get('pods', 'ops', 'debug')).toBeDefined();
    await k.core.deleteNamespacedPod({ name: 'debug', namespace: 'ops' });
    api.failNext({ pathIncludes: '/api/v1/nodes' }, 500);
    expect((await kubeError(k.core.listNode())).status).toMatchObject({ reason: 'InternalError', code: 500 });
    api.failNext({ method: 'PATCH' }, 409);
    const conflict = await kubeError(k.core.patchNode({ name: 'node-a', body: [{ op: 'add', path: '/spec/unschedulable', value: true }] }));
    expect(conflict.status).toMatchObject({ reason: 'Conflict', details: { name: 'node-a', kind: 'nodes' } });
    expect(api.get('nodes', null, 'node-a')?.spec).not.toHaveProperty('unschedulable');
    expect(api.requests.map((r) => r.status)).toEqual([503, 503, 200, 500, 409]);
  });

  it('slowNext delays only the matching request', async () => {
    // A delay longer than the test's own timeout: the first request can only finish when the test ends the delay.
    api.slowNext({ method: 'GET', pathIncludes: 'namespaces/shop/pods' }, 120_000);
    let slowDone = false;
    const slow = k.core.listNamespacedPod({ namespace: 'shop' }).then(() => (slowDone = true));
    await vi.waitFor(() => expect(api.delayedRequests).toBe(1));
    await k.core.listNamespacedPod({ namespace: 'shop' }); // the rule was used up by the first request
    await k.core.listNode();
    expect(slowDone).toBe(false);
    expect(api.delayedRequests).toBe(1);
    expect(api.requests.map((r) => r.path)).toEqual(['/api/v1/namespaces/shop/pods', '/api/v1/nodes']);
    api.wakeDelayed();
    await slow;
    expect(api.requests.map((r) => r.path)).toEqual(['/api/v1/namespaces/shop/pods', '/api/v1/nodes', '/api/v1/namespaces/shop/pods']);
  });

  it('records requests with method, path, query, content type and body', async () => {
    await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=web', limit: 2 });
    await k.core.patchNode({ name: 'node-b', body: [{ op: 'add', path: '/metadata/labels/chaos', value: 'on' }] });
    expect(api.requests[0]).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/shop/pods', query: { labelSelector: 'app=web', limit: '2' }, status: 200 });
    expect(api.requests[1]).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/nodes/node-b',
      contentType: 'application/json-patch+json',
      body: [{ op: 'add', path: '/metadata/labels/chaos', value: 'on' }],
      status: 200,
    });
    expect(api.requests[1]?.at).toBeGreaterThan(0);
  });
});
