import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { eventually, type KubeClients, kubeClients, kubeError } from '../fakes/kube-clients.js';

let api: KubeApiStandIn;
let k: KubeClients;

beforeEach(async () => {
  api = await KubeApiStandIn.start();
  api.addNode('node-a', { labels: { 'topology.kubernetes.io/zone': 'eu-1a' } });
  api.addNode('node-b', { labels: { 'topology.kubernetes.io/zone': 'eu-1b' } });
  api.addNode('node-c', { labels: { 'topology.kubernetes.io/zone': 'eu-1c' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' } });
  k = kubeClients(api);
});

afterEach(async () => {
  k.cleanup();
  await api.close();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const webPods = async (): Promise<V1Pod[]> => (await k.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=web' })).items;
const ready = (p: V1Pod) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('Deployment seeding and the stand-in controller', () => {
  it('seeds a Deployment with its ReplicaSet and Running, Ready pods spread over the nodes', async () => {
    const deploy = await k.apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(deploy.spec?.replicas).toBe(3);
    expect(deploy.status).toMatchObject({ replicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const rs = (await k.apps.listNamespacedReplicaSet({ namespace: 'shop' })).items;
    expect(rs).toHaveLength(1);
    expect(rs[0]?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', uid: deploy.metadata?.uid });
    const pods = await webPods();
    expect(pods).toHaveLength(3);
    expect(pods.every(ready)).toBe(true);
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(['node-a', 'node-b', 'node-c']));
    for (const p of pods) {
      expect(p.metadata?.ownerReferences?.[0]).toMatchObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs[0]?.metadata?.name, controller: true });
      expect(p.metadata?.name?.startsWith(`${rs[0]?.metadata?.name}-`)).toBe(true);
      expect(p.metadata?.labels?.['pod-template-hash']).toBeDefined();
    }
  });

  it('recreates a deleted pod under a new name: Pending first, then Running and Ready', async () => {
    const before = (await webPods()).map((p) => p.metadata?.name ?? '');
    const victimName = before[0] ?? '';
    await k.core.deleteNamespacedPod({ name: victimName, namespace: 'shop' });
    const replacement = await eventually(async () => (await webPods()).find((p) => !before.includes(p.metadata?.name ?? '')), 2000, 5);
    expect(replacement.status?.phase).toBe('Pending'); // the kubelet starts it ~200 ms later
    expect(replacement.metadata?.name).toMatch(/^web-[a-z0-9]+-[a-z0-9]{5}$/);
    expect(replacement.spec?.nodeName).toBeDefined();
    await eventually(async () => {
      const pods = await webPods();
      return pods.length === 3 && pods.every(ready) && pods.some((p) => p.metadata?.name === replacement.metadata?.name);
    });
    await eventually(async () => (await k.apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' })).status?.readyReplicas === 3);
  });

  it('with the controller off, deleted pods stay gone until it is switched back on', async () => {
    api.setController(false);
    const [victim] = await webPods();
    await k.core.deleteNamespacedPod({ name: victim?.metadata?.name ?? '', namespace: 'shop' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await webPods()).toHaveLength(2);
    api.setController(true);
    await eventually(async () => (await webPods()).length === 3);
  });

  it('scales through the scale subresource with a JSON patch (client-node default) and a merge patch', async () => {
    const scaleUp = await k.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] });
    expect(scaleUp).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 5 }, status: { replicas: 3, selector: 'app=web' } });
    expect(api.requests.at(-1)?.contentType).toBe('application/json-patch+json');
    await eventually(async () => (await webPods()).filter(ready).length === 5);
    expect((await k.apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'shop' })).status?.replicas).toBe(5);

    const scaleDown = await k.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { spec: { replicas: 1 } } }, merge);
    expect(scaleDown.spec?.replicas).toBe(1);
    expect(api.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    await eventually(async () => (await webPods()).length === 1);
    const deploy = await k.apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(deploy.spec?.replicas).toBe(1);
    expect(deploy.metadata?.generation).toBe(3);
  });

  it('PUT on the scale subresource honours resourceVersion; a negative count is 422', async () => {
    const scale = await k.apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'shop' });
    const replaced = await k.apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { ...scale, spec: { replicas: 4 } } });
    expect(replaced.spec?.replicas).toBe(4);
    const stale = await kubeError(k.apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { ...scale, spec: { replicas: 2 } } }));
    expect(stale.status).toMatchObject({ code: 409, reason: 'Conflict', message: expect.stringContaining('deployments.apps "web"') });
    const negative = await kubeError(k.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { spec: { replicas: -1 } } }, merge));
    expect(negative.status).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('scales a StatefulSet: ordinal pod names, highest ordinal removed first', async () => {
    api.addStatefulSet('data', 'db', { replicas: 2, labels: { app: 'db' } });
    const pods = async () => (await k.core.listNamespacedPod({ namespace: 'data' })).items.map((p) => p.metadata?.name);
    expect(await pods()).toEqual(['db-0', 'db-1']);
    await k.apps.patchNamespacedStatefulSetScale({ name: 'db', namespace: 'data', body: { spec: { replicas: 3 } } }, strategic);
    await eventually(async () => (await pods()).includes('db-2'));
    await k.apps.patchNamespacedStatefulSetScale({ name: 'db', namespace: 'data', body: [{ op: 'replace', path: '/spec/replicas', value: 1 }] });
    await eventually(async () => JSON.stringify(await pods()) === JSON.stringify(['db-0']));
    const sts = await eventually(async () => {
      const s = await k.apps.readNamespacedStatefulSet({ name: 'db', namespace: 'data' });
      return s.status?.replicas === 1 ? s : undefined;
    });
    expect(sts.status?.readyReplicas).toBe(1);
  });

  it('deleting a Deployment garbage-collects its ReplicaSet and pods', async () => {
    const status = await k.apps.deleteNamespacedDeployment({ name: 'web', namespace: 'shop' });
    expect(status).toMatchObject({ status: 'Success', details: { name: 'web', group: 'apps', kind: 'deployments' } });
    await eventually(async () => (await webPods()).length === 0 && (await k.apps.listNamespacedReplicaSet({ namespace: 'shop' })).items.length === 0);
  });
});

describe('Eviction API and PodDisruptionBudgets', () => {
  const evict = (name: string) => k.core.createNamespacedPodEviction({ name, namespace: 'shop', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'shop' } } });

  it('evicts when no budget covers the pod: 201 and the pod is gone', async () => {
    const [victim] = await webPods();
    const name = victim?.metadata?.name ?? '';
    await evict(name);
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', path: `/api/v1/namespaces/shop/pods/${name}/eviction`, status: 201 });
    expect(api.get('pods', 'shop', name)).toBeUndefined();
  });

  it('refuses with 429 when a minAvailable budget would be violated, and the client surfaces it', async () => {
    api.addPdb('shop', 'web-pdb', { selector: { app: 'web' }, minAvailable: 3 });
    const pdb = await k.policy.readNamespacedPodDisruptionBudget({ name: 'web-pdb', namespace: 'shop' });
    expect(pdb.status).toMatchObject({ currentHealthy: 3, desiredHealthy: 3, disruptionsAllowed: 0, expectedPods: 3 });
    const [victim] = await webPods();
    const refused = await kubeError(evict(victim?.metadata?.name ?? ''));
    expect(refused.code).toBe(429);
    expect(refused.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      reason: 'TooManyRequests',
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web-pdb needs 3 healthy pods and has 3 currently' }] },
      code: 429,
    });
    expect(api.get('pods', 'shop', victim?.metadata?.name ?? '')).toBeDefined();
  });

  it('a maxUnavailable: 1 budget allows one eviction, then refuses until the replacement is Ready', async () => {
    api.addPdb('shop', 'web-pdb', { selector: { app: 'web' }, maxUnavailable: 1 });
    const [first, second] = await webPods();
    await evict(first?.metadata?.name ?? '');
    expect((await kubeError(evict(second?.metadata?.name ?? ''))).code).toBe(429);
    await eventually(async () => (await webPods()).filter(ready).length === 3);
    await evict(second?.metadata?.name ?? '');
    const budgets = await k.policy.listPodDisruptionBudgetForAllNamespaces();
    expect(budgets.items.map((b) => b.metadata?.name)).toEqual(['web-pdb']);
  });

  it('creates and deletes PodDisruptionBudgets through policy/v1', async () => {
    const created = await k.policy.createNamespacedPodDisruptionBudget({
      namespace: 'shop',
      body: { metadata: { name: 'guard' }, spec: { selector: { matchLabels: { app: 'web' } }, minAvailable: '50%' } },
    });
    expect(created.status).toMatchObject({ desiredHealthy: 2, disruptionsAllowed: 1 });
    await k.policy.deleteNamespacedPodDisruptionBudget({ name: 'guard', namespace: 'shop' });
    expect((await kubeError(k.policy.deleteNamespacedPodDisruptionBudget({ name: 'guard', namespace: 'shop' }))).code).toBe(404);
  });
});

describe('cordoning nodes', () => {
  it('cordons with a merge patch and uncordons with a JSON patch; field selector spec.unschedulable follows', async () => {
    const cordoned = await k.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: true } } }, merge);
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(api.requests.at(-1)?.contentType).toBe('application/merge-patch+json');
    expect((await k.core.listNode({ fieldSelector: 'spec.unschedulable=true' })).items.map((n) => n.metadata?.name)).toEqual(['node-a']);
    const patched = await k.core.patchNode({ name: 'node-b', body: [{ op: 'add', path: '/spec/unschedulable', value: true }] });
    expect(patched.spec?.unschedulable).toBe(true);
    await k.core.patchNode({ name: 'node-a', body: [{ op: 'remove', path: '/spec/unschedulable' }] });
    expect((await k.core.listNode({ fieldSelector: 'spec.unschedulable!=true' })).items.map((n) => n.metadata?.name)).toEqual(['node-a', 'node-c']);
  });

  it('new pods are not placed on cordoned nodes', async () => {
    await k.core.patchNode({ name: 'node-a', body: { spec: { unschedulable: true } } }, strategic);
    await k.core.patchNode({ name: 'node-b', body: { spec: { unschedulable: true } } }, merge);
    await k.apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'shop', body: { spec: { replicas: 6 } } }, merge);
    await eventually(async () => (await webPods()).length === 6);
    const onC = (await k.core.listNamespacedPod({ namespace: 'shop', fieldSelector: 'spec.nodeName=node-c' })).items;
    expect(onC).toHaveLength(4); // one seeded plus the three new ones
  });
});
