import { beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import type { FaultHandle, ResolvedTarget, TargetDriver } from '../../src/core/ports.js';
import type { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeStandIn, kubeTarget, kubeFault, notingContexts, specOf } from '../support/kube-adapter.js';

/**
 * The ugly paths: a crash between the API call and the journal write, API errors during revert
 * (retried, then reported with what is left), refused evictions, and inject rolling itself back.
 */

const log = new RecordingLog();
const cluster = kubeStandIn({ prefix: 'faultline-kube-recovery-', podStartMs: 50, log, driverDefaults: { namespace: 'shop', revertBackoff: '5ms', revertAttempts: 4 } });
const driver = cluster.driver;
let api: KubeApiStandIn;
const ctx = notingContexts('r', 120_000, log);
const target = kubeTarget;
const fault = kubeFault('2m');
const meta = (o: Record<string, unknown> | undefined) => (o?.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
const spec = specOf;
const replicas = (name: string) => spec(api.get('deployments', 'shop', name)).replicas;
/** What the journal would hold: the handle after a JSON round trip. */
const journaled = (h: FaultHandle) => JSON.parse(JSON.stringify(h)) as FaultHandle;

beforeAll(async () => {
  api = cluster.api;
  api.addNode('node-1', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
  api.addNode('node-2', { labels: { 'topology.kubernetes.io/zone': 'z2' } });
  api.addDeployment('shop', 'checkout', { replicas: 4, labels: { app: 'checkout' } });
  api.addDeployment('shop', 'search', { replicas: 2, labels: { app: 'search' } });
  api.addNode('node-pdb', { labels: { 'topology.kubernetes.io/zone': 'zp' } });
  api.addDeployment('payments', 'ledger', { replicas: 2, labels: { app: 'ledger' }, nodeNames: ['node-pdb'] });
  api.addPdb('payments', 'ledger', { selector: { app: 'ledger' }, minAvailable: 2 });
});

describe('crash between inject and journal', () => {
  it('another process finds every labelled object with listOwned and reverts it from the cluster alone', async () => {
    const first = driver();
    const [deploy] = await first.preview(target({ kind: 'Deployment', name: 'search' }), { log });
    const [node] = await first.preview(target({ zone: 'z2' }), { log });
    api.installChaosMesh();
    const c1 = ctx();
    const c2 = ctx({ experimentId: c1.experimentId });
    const c3 = ctx({ experimentId: c1.experimentId });
    const c4 = ctx({ experimentId: c1.experimentId });
    // The handles are dropped, as if the bot died before journaling them.
    await first.inject(fault({ type: 'scale-down', parameters: { replicas: 0 } }), [deploy as ResolvedTarget], c1);
    await first.inject(fault({ type: 'node-drain' }), [node as ResolvedTarget], c2);
    const pods = (await first.preview(target({ selector: { app: 'checkout' }, fieldSelector: 'spec.nodeName=node-1' }), { log })).slice(0, 2);
    await first.inject(fault({ type: 'network-partition', parameters: { direction: 'egress' } }), pods, c3);
    await first.inject(fault({ type: 'chaos-mesh', parameters: { kind: 'StressChaos', spec: { stressors: { cpu: { workers: 1 } } } } }), pods, c4);
    expect(replicas('search')).toBe(0);

    const second = driver();
    const owned = await second.listOwned({ log });
    const ids = owned.map((h) => h.handleId);
    expect(ids).toEqual(expect.arrayContaining([c1.handleId, c2.handleId, c3.handleId, c4.handleId]));
    const byId = new Map(owned.map((h) => [h.handleId, h]));
    expect(byId.get(c1.handleId)).toMatchObject({ experimentId: c1.experimentId, adapter: 'kubernetes', faultType: 'scale-down', expiresAt: c1.expiresAt, data: { objects: [{ kind: 'Deployment', name: 'search', originalReplicas: 2 }] } });
    expect(byId.get(c1.handleId)?.targets.map((t) => t.id)).toEqual(['deployment/shop/search']);
    expect(byId.get(c2.handleId)).toMatchObject({ faultType: 'node-drain', data: { objects: [{ kind: 'Node', name: 'node-2' }] } });
    expect((byId.get(c3.handleId)?.data.objects as Array<{ kind: string }>).map((o) => o.kind).sort()).toEqual(['NetworkPolicy', 'Pod', 'Pod']);
    expect(byId.get(c4.handleId)).toMatchObject({ faultType: 'chaos-mesh', data: { objects: [{ kind: 'Chaos', chaosKind: 'StressChaos', plural: 'stresschaos' }] } });
    expect(byId.get(c4.handleId)?.targets.map((t) => t.id).sort()).toEqual(pods.map((p) => p.id).sort());

    for (const h of owned) await second.revert(journaled(h), { log });
    expect(replicas('search')).toBe(2);
    expect(spec(api.get('nodes', null, 'node-2')).unschedulable).toBeUndefined();
    expect(api.list('networkpolicies', 'shop')).toEqual([]);
    expect(api.list('StressChaos', 'shop')).toEqual([]);
    for (const p of pods) expect(meta(api.get('pods', 'shop', p.name)).labels?.['faultline.dev/handle']).toBeUndefined();
    expect(await second.listOwned({ log })).toEqual([]);
  });

  it('listOwned uses paginated label-selector lists', async () => {
    const from = api.requests.length;
    await driver({ pageSize: 50 }).listOwned({ log });
    const lists = api.requests.slice(from).filter((r) => r.method === 'GET' && !r.path.includes('customresourcedefinitions'));
    expect(lists.length).toBeGreaterThanOrEqual(5);
    expect(lists.every((r) => r.query.labelSelector === 'faultline.dev/experiment' && r.query.limit === '50')).toBe(true);
  });
});

describe('revert under API errors', () => {
  async function scaled(d: TargetDriver): Promise<FaultHandle> {
    const [w] = await d.preview(target({ kind: 'Deployment', name: 'checkout' }), { log });
    return journaled(await d.inject(fault({ type: 'scale-down', parameters: { replicas: 1 } }), [w as ResolvedTarget], ctx()));
  }

  it('retries 5xx and 409 (re-reading the object) and succeeds', async () => {
    const d = driver();
    const handle = await scaled(d);
    api.failNext({ method: 'PATCH', pathIncludes: '/deployments/checkout' }, 503, 2);
    api.failNext({ method: 'PATCH', pathIncludes: '/deployments/checkout' }, 409, 1);
    const from = api.requests.length;
    await d.revert(handle, { log });
    expect(replicas('checkout')).toBe(4);
    const calls = api.requests.slice(from).filter((r) => r.path.endsWith('/deployments/checkout'));
    expect(calls.map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PATCH 503', 'GET 200', 'PATCH 503', 'GET 200', 'PATCH 409', 'GET 200', 'PATCH 200']);
    expect(calls.filter((r) => r.method === 'PATCH').every((r) => r.contentType === 'application/merge-patch+json')).toBe(true);
  });

  it('retries a call that times out', async () => {
    const d = driver({ requestTimeout: '150ms' });
    const handle = await scaled(d);
    api.slowNext({ method: 'PATCH', pathIncludes: '/deployments/checkout' }, 600);
    await d.revert(handle, { log });
    expect(replicas('checkout')).toBe(4);
    expect(log.lines.some((l) => l.msg === 'kubernetes call failed; retrying' && JSON.stringify(l.obj).includes('within 150 ms'))).toBe(true);
  });

  it('after the last try, fails with revert_failed naming what is left and the kubectl to undo it', async () => {
    const d = driver();
    const handle = await scaled(d);
    api.failNext({ method: 'PATCH', pathIncludes: '/deployments/checkout' }, 500, 4);
    const err = await d.revert(handle, { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'revert_failed')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('deployment/shop/checkout');
    expect(msg).toContain('kubectl -n shop scale deployment/checkout --replicas=4');
    expect(msg).toContain(`-l faultline.dev/handle=${handle.handleId}`);
    expect(replicas('checkout')).toBe(1);
    await d.revert(handle, { log }); // the API is back: the same handle reverts
    expect(replicas('checkout')).toBe(4);
  });

  it('does not retry a 403', async () => {
    const d = driver();
    const handle = await scaled(d);
    api.failNext({ method: 'PATCH', pathIncludes: '/deployments/checkout' }, 403, 1);
    const from = api.requests.length;
    const err = await d.revert(handle, { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'revert_failed')).toBe(true);
    expect((err as Error).message).toContain('HTTP 403');
    expect(api.requests.slice(from).filter((r) => r.method === 'PATCH')).toHaveLength(1);
    await d.revert(handle, { log });
    expect(replicas('checkout')).toBe(4);
  });
});

describe('evictions and inject failures', () => {
  it('reports evictions a PodDisruptionBudget refuses, without retrying them', async () => {
    const d = driver();
    const [node] = await d.preview(target({ zone: 'zp' }), { log });
    const c = ctx();
    const handle = await d.inject(fault({ type: 'node-drain' }), [node as ResolvedTarget], c);
    const refused = handle.data.refused as Array<{ pod: string; reason: string }>;
    expect(refused).toHaveLength(2);
    expect(refused[0]?.pod).toMatch(/^pod\/payments\/ledger-/);
    expect(refused[0]?.reason).toContain('disruption budget');
    expect(c.notes.filter(([k]) => k === 'eviction-refused')).toHaveLength(2);
    expect(api.requests.filter((r) => r.path.includes('/namespaces/payments/pods/') && r.path.endsWith('/eviction'))).toHaveLength(2);
    await d.revert(journaled(handle), { log });
    expect(spec(api.get('nodes', null, 'node-pdb')).unschedulable).toBeUndefined();
  });

  it('a create whose answer was lost is not made twice (409 AlreadyExists counts as done)', async () => {
    const d = driver({ requestTimeout: '150ms' });
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 1);
    api.slowNext({ method: 'POST', pathIncludes: '/networkpolicies' }, 400);
    const c = ctx();
    const handle = await d.inject(fault({ type: 'dns-outage' }), pods, c);
    await new Promise((r) => setTimeout(r, 450)); // the slow create lands too
    const policies = api.list('networkpolicies', 'shop').filter((p) => meta(p).labels?.['faultline.dev/handle'] === c.handleId);
    expect(policies).toHaveLength(1);
    expect(api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/networkpolicies')).map((r) => r.status)).toContain(409);
    await d.revert(journaled(handle), { log });
    expect(api.list('networkpolicies', 'shop')).toEqual([]);
  });

  it('rolls back what a failed inject changed', async () => {
    const d = driver();
    const pods = (await d.preview(target({ selector: { app: 'checkout' } }), { log })).slice(0, 2);
    api.failNext({ method: 'POST', pathIncludes: '/networkpolicies' }, 500, 4); // every try (revertAttempts: 4)
    const err = await d.inject(fault({ type: 'dns-outage' }), pods, ctx()).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'inject_failed')).toBe(true);
    expect((err as Error).message).toContain('HTTP 500');
    for (const p of pods) expect(meta(api.get('pods', 'shop', p.name)).labels?.['faultline.dev/handle']).toBeUndefined();
    expect(api.list('networkpolicies', 'shop')).toEqual([]);
  });
});
