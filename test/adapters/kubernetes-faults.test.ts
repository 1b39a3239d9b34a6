import { beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import type { FaultHandle, ResolvedTarget } from '../../src/core/ports.js';
import type { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeStandIn, kubeTarget, kubeFault, notingContexts, labelsOf, annotationsOf, specOf } from '../support/kube-adapter.js';

/**
 * Every fault's inject and revert, through the real @kubernetes/client-node against the API stand-in:
 * the state of the stand-in before, during and after.
 */

const log = new RecordingLog();
const cluster = kubeStandIn({ prefix: 'faultline-kube-', podStartMs: 50, log, driverDefaults: { namespace: 'shop', revertBackoff: '10ms' } });
const driver = cluster.driver;
let api: KubeApiStandIn;

const ctx = notingContexts('f', 60_000, log);

const target = kubeTarget;
const fault = kubeFault('1m');
const labels = labelsOf;
const annotations = annotationsOf;
const spec = specOf;
const podNames = (ns: string, app: string) =>
  api
    .list('pods', ns)
    .filter((p) => labels(p).app === app && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp)
    .map((p) => String((p.metadata as { name: string }).name));

/** Every workload of the beforeAll seed is whole again: its replicas live, bound to a node and Running. */
const workloadsSettled = () =>
  (
    [
      ['checkout', 4],
      ['cart', 2],
      ['db', 3],
    ] as const
  ).every(([app, replicas]) => {
    const pods = api.list('pods', 'shop').filter((p) => labels(p).app === app && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
    return pods.length === replicas && pods.every((p) => spec(p).nodeName !== undefined && (p.status as { phase?: string } | undefined)?.phase === 'Running');
  });

async function waitFor(cond: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  api = cluster.api;
  for (const [n, zone] of [
    ['node-a1', 'zone-a'],
    ['node-a2', 'zone-a'],
    ['node-b1', 'zone-b'],
  ] as const) {
    api.addNode(n, { labels: { 'topology.kubernetes.io/zone': zone, pool: 'general' } });
  }
  api.addNamespace('shop');
  api.addDeployment('shop', 'checkout', { replicas: 4, labels: { app: 'checkout' } });
  api.addDeployment('shop', 'cart', { replicas: 2, labels: { app: 'cart' } });
  api.addStatefulSet('shop', 'db', { replicas: 3, labels: { app: 'db' } });
});

describe('pod-delete', () => {
  it('deletes the chosen pods; the controller brings them back; revert has nothing to undo', async () => {
    const d = driver();
    const before = podNames('shop', 'checkout');
    const all = await d.preview(target({ selector: { app: 'checkout' } }), { log });
    expect(all.map((t) => t.name).sort()).toEqual(before.sort());
    const victims = all.slice(0, 2);
    const c = ctx();
    const handle = await d.inject(fault({ type: 'pod-delete', parameters: { gracePeriodSeconds: 0 } }), victims, c);
    expect(c.notes[0]?.[0]).toBe('pod-delete');
    expect(c.notes[0]?.[1].pods).toEqual(victims.map((v) => v.id));
    expect(handle.data.deleted).toEqual(victims.map((v) => v.id).sort());
    for (const v of victims) expect(api.get('pods', 'shop', v.name)).toBeUndefined();
    await waitFor(() => podNames('shop', 'checkout').length === 4);
    await d.revert(handle, { log });
    await d.revert(handle, { log }); // idempotent
  });

  it('with an interval keeps killing successors (seeded, journaled) until revert', async () => {
    const d = driver();
    const victims = (await d.preview(target({ selector: { app: 'cart' } }), { log })).slice(0, 1);
    const c = ctx();
    const handle = await d.inject(fault({ type: 'pod-delete', parameters: { interval: '300ms', gracePeriodSeconds: 0 } }), victims, c);
    expect(handle.data.intervalMs).toBe(300);
    await waitFor(() => c.notes.filter(([k]) => k === 'pod-delete-tick').length >= 2, 5_000);
    const ticks = c.notes.filter(([k]) => k === 'pod-delete-tick');
    expect(ticks[0]?.[1]).toMatchObject({ tick: 1, seed: handle.data.seed, namespace: 'shop' });
    expect((ticks[0]?.[1].chosen as string[])[0]).toMatch(/^pod\/shop\/cart-/);
    await d.revert(handle, { log });
    const count = c.notes.length;
    await new Promise((r) => setTimeout(r, 700));
    expect(c.notes.length).toBe(count); // stopped
    await waitFor(() => podNames('shop', 'cart').length === 2);
  });

  it('stops the interval on its own at expiry', async () => {
    const d = driver();
    const victims = (await d.preview(target({ selector: { app: 'cart' } }), { log })).slice(0, 1);
    const c = ctx({ expiresAt: Date.now() + 400 });
    await d.inject(fault({ type: 'pod-delete', parameters: { interval: '250ms', gracePeriodSeconds: 0 } }), victims, c);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(c.notes.filter(([k]) => k === 'pod-delete-tick').length).toBeLessThanOrEqual(1);
  });
});

describe('scale-down', () => {
  it('records the replicas, scales with labels and annotations, and restores on revert', async () => {
    const d = driver();
    const [w] = await d.preview(target({ kind: 'Deployment', name: 'checkout' }), { log });
    expect(w).toMatchObject({ id: 'deployment/shop/checkout', kind: 'deployment', attributes: { namespace: 'shop', replicas: '4' } });
    const c = ctx();
    const handle = await d.inject(fault({ type: 'scale-down', parameters: { percent: 50 } }), [w as ResolvedTarget], c);
    expect(c.notes).toContainEqual(['scale-down', expect.objectContaining({ target: 'deployment/shop/checkout', originalReplicas: 4, replicas: 2 })]);
    const changed = api.get('deployments', 'shop', 'checkout');
    expect(spec(changed).replicas).toBe(2);
    expect(labels(changed)).toMatchObject({ 'faultline.dev/experiment': c.experimentId, 'faultline.dev/handle': c.handleId });
    expect(annotations(changed)).toMatchObject({ 'faultline.dev/original-replicas': '4', 'faultline.dev/expires-at': new Date(c.expiresAt).toISOString() });
    await waitFor(() => podNames('shop', 'checkout').length === 2);
    await d.revert(handle, { log });
    const back = api.get('deployments', 'shop', 'checkout');
    expect(spec(back).replicas).toBe(4);
    expect(labels(back)['faultline.dev/handle']).toBeUndefined();
    expect(annotations(back)['faultline.dev/original-replicas']).toBeUndefined();
    await waitFor(() => podNames('shop', 'checkout').length === 4);
    await d.revert(handle, { log }); // idempotent: no longer ours, nothing touched
    expect(spec(api.get('deployments', 'shop', 'checkout')).replicas).toBe(4);
  });

  it('scales a StatefulSet to a count, and refuses what is not a scale-down without changing anything', async () => {
    const d = driver();
    const [w] = await d.preview(target({ kind: 'StatefulSet', name: 'db' }), { log });
    const refused = await d.inject(fault({ type: 'scale-down', parameters: { replicas: 5 } }), [w as ResolvedTarget], ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(refused, 'inject_failed')).toBe(true);
    expect((refused as Error).message).toContain('not a scale-down');
    expect(labels(api.get('statefulsets', 'shop', 'db'))['faultline.dev/handle']).toBeUndefined();
    const handle = await d.inject(fault({ type: 'scale-down', parameters: { replicas: 1 } }), [w as ResolvedTarget], ctx());
    expect(spec(api.get('statefulsets', 'shop', 'db')).replicas).toBe(1);
    await d.revert(handle, { log });
    expect(spec(api.get('statefulsets', 'shop', 'db')).replicas).toBe(3);
  });

  it('refuses a fault whose target is the wrong kind', async () => {
    const d = driver();
    const pods = await d.preview(target({ selector: { app: 'checkout' } }), { log });
    const err = await d.inject(fault({ type: 'scale-down', parameters: { replicas: 1 } }), pods.slice(0, 1), ctx()).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/scale-down works on workloads, but pod\/shop\/.* is a pod/);
  });
});

describe('node-drain and zone-outage', () => {
  it('cordons, evicts through the Eviction API, and uncordons on revert', async () => {
    const d = driver();
    const nodes = await d.preview(target({ nodeSelector: { pool: 'general' } }), { log });
    expect(nodes.map((n) => n.id)).toEqual(['node/node-a1', 'node/node-a2', 'node/node-b1']);
    const victim = nodes.find((n) => n.name === 'node-b1') as ResolvedTarget;
    const c = ctx();
    const onNode = () => api.list('pods').filter((p) => spec(p).nodeName === 'node-b1' && !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp).length;
    expect(onNode()).toBeGreaterThan(0);
    const handle = await d.inject(fault({ type: 'node-drain' }), [victim], c);
    expect(c.notes[0]).toEqual(['node-drain', { nodes: [{ node: 'node-b1', wasCordoned: false }] }]);
    const node = api.get('nodes', null, 'node-b1');
    expect(spec(node).unschedulable).toBe(true);
    expect(annotations(node)['faultline.dev/cordoned']).toBe('true');
    expect((handle.data.evicted as string[]).length).toBeGreaterThan(0);
    expect(api.requests.some((r) => r.method === 'POST' && r.path.endsWith('/eviction'))).toBe(true);
    await waitFor(() => onNode() === 0);
    await d.revert(handle, { log });
    const back = api.get('nodes', null, 'node-b1');
    expect(spec(back).unschedulable).toBeUndefined();
    expect(labels(back)['faultline.dev/handle']).toBeUndefined();
  });

  it('never evicts pods in protected namespaces or with protected labels', async () => {
    // Pods evicted by an earlier test are rescheduled by the stand-in's controller a moment later, onto the
    // least loaded node: a new, empty node-p1 would draw them, and the drain below would rightly evict them too.
    await waitFor(workloadsSettled);
    api.addNode('node-p1', { labels: { pool: 'protect-test' } });
    api.addPod('kube-system', { name: 'coredns-x', labels: { k8s: 'dns' }, nodeName: 'node-p1' });
    api.addPod('shop', { name: 'vault-0', labels: { app: 'vault', 'faultline.dev/protected': 'true' }, nodeName: 'node-p1' });
    api.addPod('shop', { name: 'web-free', labels: { app: 'free' }, nodeName: 'node-p1' });
    const d = driver();
    const [n] = await d.preview(target({ nodeSelector: { pool: 'protect-test' } }), { log });
    const handle = await d.inject(fault({ type: 'node-drain' }), [n as ResolvedTarget], ctx());
    expect(handle.data.evicted).toEqual(['pod/shop/web-free']);
    expect(handle.data.skipped).toEqual(
      expect.arrayContaining([
        { pod: 'pod/kube-system/coredns-x', why: 'protected' },
        { pod: 'pod/shop/vault-0', why: 'protected' },
      ]),
    );
    expect(api.get('pods', 'kube-system', 'coredns-x')).toBeDefined();
    await d.revert(handle, { log });
  });

  it('leaves a node that was already cordoned cordoned', async () => {
    api.addNode('node-c1', { labels: { 'topology.kubernetes.io/zone': 'zone-c' }, unschedulable: true });
    const d = driver();
    const [n] = await d.preview(target({ zone: 'zone-c' }), { log });
    const handle = await d.inject(fault({ type: 'node-drain' }), [n as ResolvedTarget], ctx());
    expect(handle.data).toMatchObject({ cordoned: [], wasCordoned: ['node-c1'], objects: [] });
    await d.revert(handle, { log });
    expect(spec(api.get('nodes', null, 'node-c1')).unschedulable).toBe(true);
  });

  it('zone-outage drains every node of its zone and refuses a node of another zone', async () => {
    const d = driver();
    const zoneA = await d.preview(target({ zone: 'zone-a' }), { log });
    expect(zoneA.map((n) => n.name)).toEqual(['node-a1', 'node-a2']);
    expect(zoneA[0]?.attributes.zone).toBe('zone-a');
    const wrong = await d.inject(fault({ type: 'zone-outage', parameters: { zone: 'zone-b' } }), zoneA, ctx()).catch((e: unknown) => e);
    expect((wrong as Error).message).toContain('not zone-b');
    expect(spec(api.get('nodes', null, 'node-a1')).unschedulable).toBeUndefined();
    const handle = await d.inject(fault({ type: 'zone-outage', parameters: { zone: 'zone-a' } }), zoneA, ctx());
    expect(['node-a1', 'node-a2'].map((n) => spec(api.get('nodes', null, n)).unschedulable)).toEqual([true, true]);
    await d.revert(handle, { log });
    expect(['node-a1', 'node-a2'].map((n) => spec(api.get('nodes', null, n)).unschedulable)).toEqual([undefined, undefined]);
  });
});

describe('network faults', () => {
  const policyOf = (handle: FaultHandle) => {
    const name = String((handle.data.policies as string[])[0]).split('/').pop() ?? '';
    return api.get('networkpolicies', 'shop', name);
  };

  it('network-partition labels the chosen pods, isolates them with a NetworkPolicy, and revert removes both', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 2);
    const c = ctx();
    const handle = await d.inject(fault({ type: 'network-partition', parameters: { direction: 'both' } }), pods, c);
    expect(c.notes[0]?.[0]).toBe('network-partition');
    const np = policyOf(handle);
    expect(labels(np)).toMatchObject({ 'faultline.dev/experiment': c.experimentId, 'faultline.dev/handle': c.handleId });
    expect(annotations(np)['faultline.dev/expires-at']).toBe(new Date(c.expiresAt).toISOString());
    expect(spec(np)).toEqual({ podSelector: { matchLabels: { 'faultline.dev/handle': c.handleId } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress: [] });
    for (const p of pods) expect(labels(api.get('pods', 'shop', p.name))['faultline.dev/handle']).toBe(c.handleId);
    await d.revert(handle, { log });
    expect(policyOf(handle)).toBeUndefined();
    for (const p of pods) expect(labels(api.get('pods', 'shop', p.name))['faultline.dev/handle']).toBeUndefined();
    await d.revert(handle, { log }); // 404s: already gone
  });

  it('dns-outage allows every port but 53 (endPort ranges)', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 1);
    const handle = await d.inject(fault({ type: 'dns-outage' }), pods, ctx());
    expect(spec(policyOf(handle))).toMatchObject({
      policyTypes: ['Egress'],
      egress: [
        {
          ports: [
            { protocol: 'TCP', port: 1, endPort: 52 },
            { protocol: 'TCP', port: 54, endPort: 65535 },
            { protocol: 'UDP', port: 1, endPort: 52 },
            { protocol: 'UDP', port: 54, endPort: 65535 },
          ],
        },
      ],
    });
    await d.revert(handle, { log });
    expect(policyOf(handle)).toBeUndefined();
  });

  it('dependency-down allows everything but the dependency (its pods and their IPs)', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 1);
    const dbIps = api.list('pods', 'shop').filter((p) => labels(p).app === 'db').map((p) => (p.status as { podIP: string }).podIP);
    const handle = await d.inject(fault({ type: 'dependency-down', parameters: { dependencySelector: { app: 'db' }, port: 5432 } }), pods, ctx());
    const egress = spec(policyOf(handle)).egress as Array<{ to?: Array<Record<string, unknown>>; ports?: unknown[] }>;
    expect(egress[0]?.to).toBeUndefined(); // every other port, anywhere
    expect(egress[0]?.ports).toContainEqual({ protocol: 'TCP', port: 5433, endPort: 65535 });
    expect(egress[1]?.ports).toEqual([
      { protocol: 'TCP', port: 5432 },
      { protocol: 'UDP', port: 5432 },
    ]);
    expect(egress[1]?.to).toContainEqual({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } }, podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] } });
    const v4 = egress[1]?.to?.find((p) => (p.ipBlock as { cidr?: string } | undefined)?.cidr === '0.0.0.0/0');
    expect((v4?.ipBlock as { except: string[] }).except.sort()).toEqual(dbIps.map((ip) => `${ip}/32`).sort());
    await d.revert(handle, { log });
    expect(policyOf(handle)).toBeUndefined();
  });

  it('refuses pods already under another fault, and rolls back what it labelled', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 2);
    const first = await d.inject(fault({ type: 'network-partition', parameters: { direction: 'ingress' } }), pods.slice(1), ctx());
    const err = await d.inject(fault({ type: 'network-partition' }), pods, ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'inject_failed')).toBe(true);
    expect((err as Error).message).toContain(`already under fault ${first.handleId}`);
    expect(labels(api.get('pods', 'shop', pods[0]?.name ?? ''))['faultline.dev/handle']).toBeUndefined();
    expect(labels(api.get('pods', 'shop', pods[1]?.name ?? ''))['faultline.dev/handle']).toBe(first.handleId);
    await d.revert(first, { log });
  });
});

describe('chaos-mesh', () => {
  it('says clearly when Chaos Mesh is not installed', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 1);
    const err = await d.inject(fault({ type: 'chaos-mesh', parameters: { kind: 'HTTPChaos', spec: { target: 'Request', port: 8080, abort: true } } }), pods, ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'inject_failed')).toBe(true);
    expect((err as Error).message).toContain('Chaos Mesh is not installed: no httpchaos.chaos-mesh.org CRD');
  });

  it('creates the resource for exactly the chosen pods with spec.duration, and deletes it on revert', async () => {
    api.installChaosMesh();
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 2);
    const c = ctx({ expiresAt: Date.now() + 90_000 });
    const handle = await d.inject(fault({ type: 'chaos-mesh', parameters: { kind: 'NetworkChaos', spec: { action: 'delay', delay: { latency: '200ms' } } } }), pods, c);
    const name = `faultline-${c.handleId}`;
    const cr = api.get('NetworkChaos', 'shop', name);
    expect(labels(cr)['faultline.dev/handle']).toBe(c.handleId);
    expect(spec(cr)).toMatchObject({
      action: 'delay',
      mode: 'all',
      duration: '90s',
      selector: { namespaces: ['shop'], pods: { shop: pods.map((p) => p.name) } },
    });
    await d.revert(handle, { log });
    expect(api.get('NetworkChaos', 'shop', name)).toBeUndefined();
    await d.revert(handle, { log });
  });
});
