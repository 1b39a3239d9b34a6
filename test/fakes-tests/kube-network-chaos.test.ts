import { PatchStrategy, setHeaderOptions, type V1NetworkPolicy } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { type KubeClients, kubeClients, kubeError } from '../fakes/kube-clients.js';

let api: KubeApiStandIn;
let k: KubeClients;

beforeEach(async () => {
  api = await KubeApiStandIn.start();
  api.addNode('node-a');
  api.addDeployment('shop', 'web', { replicas: 2, labels: { app: 'web' } });
  api.addNamespace('payments', { team: 'pay' });
  k = kubeClients(api);
});

afterEach(async () => {
  k.cleanup();
  await api.close();
});

const denyAll = (name: string, app: string): V1NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, labels: { 'faultline.dev/experiment': 'exp-1' } },
  spec: { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress', 'Egress'] },
});

describe('NetworkPolicies (networking.k8s.io/v1)', () => {
  it('creates, reads, lists per namespace and cluster-wide, patches and deletes', async () => {
    const created = await k.net.createNamespacedNetworkPolicy({ namespace: 'shop', body: denyAll('faultline-isolate-web', 'web') });
    expect(created.metadata).toMatchObject({ name: 'faultline-isolate-web', namespace: 'shop', generation: 1 });
    expect(created.metadata?.uid).toBeDefined();
    await k.net.createNamespacedNetworkPolicy({ namespace: 'payments', body: denyAll('faultline-isolate-pay', 'pay') });

    const dup = await kubeError(k.net.createNamespacedNetworkPolicy({ namespace: 'shop', body: denyAll('faultline-isolate-web', 'web') }));
    expect(dup.status).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'networkpolicies.networking.k8s.io "faultline-isolate-web" already exists' });

    const got = await k.net.readNamespacedNetworkPolicy({ name: 'faultline-isolate-web', namespace: 'shop' });
    expect(got.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    const all = await k.net.listNetworkPolicyForAllNamespaces({ labelSelector: 'faultline.dev/experiment=exp-1' });
    expect(all.kind).toBe('NetworkPolicyList');
    expect(all.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['payments/faultline-isolate-pay', 'shop/faultline-isolate-web']);
    expect((await k.net.listNamespacedNetworkPolicy({ namespace: 'shop' })).items).toHaveLength(1);

    const patched = await k.net.patchNamespacedNetworkPolicy(
      { name: 'faultline-isolate-web', namespace: 'shop', body: { spec: { policyTypes: ['Ingress'] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.spec?.policyTypes).toEqual(['Ingress']);
    expect(patched.metadata?.generation).toBe(2);

    const status = await k.net.deleteNamespacedNetworkPolicy({ name: 'faultline-isolate-web', namespace: 'shop' });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'faultline-isolate-web', group: 'networking.k8s.io', kind: 'networkpolicies' } });
    const gone = await kubeError(k.net.deleteNamespacedNetworkPolicy({ name: 'faultline-isolate-web', namespace: 'shop' }));
    expect(gone.status).toMatchObject({ code: 404, reason: 'NotFound', message: 'networkpolicies.networking.k8s.io "faultline-isolate-web" not found' });
    expect(api.list('networkpolicies').map((p) => (p.metadata as { name: string }).name)).toEqual(['faultline-isolate-pay']);
  });

  it('dryRun=All validates a create without storing it', async () => {
    const dry = await k.net.createNamespacedNetworkPolicy({ namespace: 'shop', body: denyAll('dry', 'web'), dryRun: 'All' });
    expect(dry.metadata?.name).toBe('dry');
    expect(api.get('networkpolicies', 'shop', 'dry')).toBeUndefined();
  });
});

const CHAOS = { group: 'chaos-mesh.org', version: 'v1alpha1' };
const networkChaos = (name: string) => ({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'NetworkChaos',
  metadata: { name, labels: { 'faultline.dev/experiment': 'exp-2' } },
  spec: { action: 'delay', mode: 'all', selector: { namespaces: ['shop'], labelSelectors: { app: 'web' } }, delay: { latency: '200ms', jitter: '20ms' }, duration: '5m' },
});

describe('Chaos Mesh custom resources', () => {
  it('404s like a cluster without the CRDs until installChaosMesh', async () => {
    const before = await kubeError(k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', body: networkChaos('lag') }));
    expect(before.code).toBe(404);
    expect(before.status).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await k.ext.listCustomResourceDefinition()).items).toHaveLength(0);
    const groups = (await (await fetch(`${api.url}/apis`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).not.toContain('chaos-mesh.org');

    api.installChaosMesh();
    const crds = await k.ext.listCustomResourceDefinition();
    expect(crds.items.map((c) => c.metadata?.name)).toEqual(['httpchaos.chaos-mesh.org', 'networkchaos.chaos-mesh.org', 'stresschaos.chaos-mesh.org', 'timechaos.chaos-mesh.org']);
    const crd = await k.ext.readCustomResourceDefinition({ name: 'networkchaos.chaos-mesh.org' });
    expect(crd.spec.names).toMatchObject({ kind: 'NetworkChaos', plural: 'networkchaos', listKind: 'NetworkChaosList' });
    expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    const discovery = (await (await fetch(`${api.url}/apis/chaos-mesh.org/v1alpha1`, { headers: { authorization: `Bearer ${api.token}` } })).json()) as {
      resources: Array<{ name: string; kind: string }>;
    };
    expect(discovery.resources.filter((r) => !r.name.includes('/')).map((r) => r.kind)).toEqual(['NetworkChaos', 'HTTPChaos', 'StressChaos', 'TimeChaos']);
  });

  it('creates, gets, lists (namespaced and cluster-wide) and deletes NetworkChaos', async () => {
    api.installChaosMesh();
    const created = (await k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', body: networkChaos('lag') })) as Record<string, any>;
    expect(created).toMatchObject({ apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'NetworkChaos', metadata: { name: 'lag', namespace: 'shop', generation: 1 } });
    expect(created.metadata.uid).toBeDefined();
    await k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'payments', plural: 'networkchaos', body: networkChaos('loss') });
    const dup = await kubeError(k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', body: networkChaos('lag') }));
    expect(dup.status).toMatchObject({ code: 409, message: 'networkchaos.chaos-mesh.org "lag" already exists' });

    const got = (await k.custom.getNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', name: 'lag' })) as Record<string, any>;
    expect(got.spec.delay).toEqual({ latency: '200ms', jitter: '20ms' });
    const inShop = (await k.custom.listNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos' })) as Record<string, any>;
    expect(inShop.kind).toBe('NetworkChaosList');
    expect(inShop.items).toHaveLength(1);
    const everywhere = (await k.custom.listClusterCustomObject({ ...CHAOS, plural: 'networkchaos', labelSelector: 'faultline.dev/experiment=exp-2' })) as Record<string, any>;
    expect(everywhere.items.map((i: any) => i.metadata.namespace)).toEqual(['payments', 'shop']);

    const deleted = (await k.custom.deleteNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', name: 'lag' })) as Record<string, any>;
    expect(deleted.metadata.name).toBe('lag'); // custom resources answer a delete with the object
    const again = await kubeError(k.custom.deleteNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'networkchaos', name: 'lag' }));
    expect(again.status).toMatchObject({ code: 404, message: 'networkchaos.chaos-mesh.org "lag" not found', details: { group: 'chaos-mesh.org', kind: 'networkchaos' } });
    expect(api.list('networkchaos').map((o) => (o.metadata as { name: string }).name)).toEqual(['loss']);
  });

  it('serves a custom resource whose CRD was created through the API, and stops when it is deleted', async () => {
    await k.ext.createCustomResourceDefinition({
      body: {
        metadata: { name: 'podchaos.chaos-mesh.org' },
        spec: {
          group: 'chaos-mesh.org',
          names: { plural: 'podchaos', singular: 'podchaos', kind: 'PodChaos', listKind: 'PodChaosList' },
          scope: 'Namespaced',
          versions: [{ name: 'v1alpha1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
        },
      },
    });
    await k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural: 'podchaos', body: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'kill' }, spec: { action: 'pod-kill' } } });
    expect(api.get('PodChaos', 'shop', 'kill')).toMatchObject({ spec: { action: 'pod-kill' } });
    // client-node serialised the typed schema back to the wire name.
    expect(api.get('crd', null, 'podchaos.chaos-mesh.org')).toMatchObject({ spec: { versions: [{ schema: { openAPIV3Schema: { 'x-kubernetes-preserve-unknown-fields': true } } }] } });
    await k.ext.deleteCustomResourceDefinition({ name: 'podchaos.chaos-mesh.org' });
    expect((await kubeError(k.custom.listClusterCustomObject({ ...CHAOS, plural: 'podchaos' }))).code).toBe(404);
  });

  it('serves HTTPChaos, StressChaos and TimeChaos the same way', async () => {
    api.installChaosMesh();
    const bodies = {
      httpchaos: { kind: 'HTTPChaos', spec: { mode: 'all', selector: { labelSelectors: { app: 'web' } }, target: 'Request', port: 8080, abort: true } },
      stresschaos: { kind: 'StressChaos', spec: { mode: 'one', selector: { labelSelectors: { app: 'web' } }, stressors: { cpu: { workers: 1, load: 80 } } } },
      timechaos: { kind: 'TimeChaos', spec: { mode: 'one', selector: { labelSelectors: { app: 'web' } }, timeOffset: '-10m' } },
    };
    for (const [plural, b] of Object.entries(bodies)) {
      await k.custom.createNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural, body: { apiVersion: 'chaos-mesh.org/v1alpha1', kind: b.kind, metadata: { generateName: `${plural}-` }, spec: b.spec } });
      const list = (await k.custom.listClusterCustomObject({ ...CHAOS, plural })) as { items: Array<{ kind: string; metadata: { name: string } }> };
      expect(list.items).toHaveLength(1);
      expect(list.items[0]?.kind).toBe(b.kind);
      expect(list.items[0]?.metadata.name.startsWith(`${plural}-`)).toBe(true);
      await k.custom.deleteNamespacedCustomObject({ ...CHAOS, namespace: 'shop', plural, name: list.items[0]?.metadata.name ?? '' });
    }
    expect(api.list('stresschaos')).toEqual([]);
  });
});
