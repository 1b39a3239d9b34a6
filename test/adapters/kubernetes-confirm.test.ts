import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FaultHandle, ResolvedTarget, TargetContext, TargetDriver } from '../../src/core/ports.js';
import { createKubeClient, KubernetesTargetConfig, type KubeClient } from '../../src/adapters/targets/kubernetes/index.js';
import { lazyKubernetesTargetAdapter } from '../../src/adapters/targets/kubernetes/lazy.js';
import type { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeStandIn, kubeTarget, kubeFault } from '../support/kube-adapter.js';

/**
 * The revert receipt: after a real revert every object the handle held is read back through the real
 * client and found as it was; when something put the fault back, or the API cannot answer, it says so.
 */

const log = new RecordingLog();
const cluster = kubeStandIn({ prefix: 'faultline-kube-confirm-', podStartMs: 30, log, driverDefaults: { namespace: 'shop', revertBackoff: '5ms', revertAttempts: 3 } });
const driver = cluster.driver;
let api: KubeApiStandIn;
/** "Someone else": a second client that changes things behind the driver's back. */
let other: KubeClient;
let seq = 0;
function ctx(over: Partial<TargetContext> = {}): TargetContext {
  seq += 1;
  return { experimentId: `exp-c${seq}`, handleId: `fh-c${seq}`, expiresAt: Date.now() + 120_000, now: Date.now, log, note: () => {}, ...over };
}
const target = kubeTarget;
const fault = kubeFault('2m');
const journaled = (h: FaultHandle) => JSON.parse(JSON.stringify(h)) as FaultHandle;
const confirmed = { confirmed: true, differences: [], manualSteps: [] };

async function injected(d: TargetDriver, t: Record<string, unknown>, f: Record<string, unknown>, pick = 1): Promise<FaultHandle> {
  const targets = (await d.preview(target(t), { log })).slice(0, pick) as ResolvedTarget[];
  return journaled(await d.inject(fault(f), targets, ctx()));
}

beforeAll(async () => {
  api = cluster.api;
  other = createKubeClient(KubernetesTargetConfig.parse({ kubeconfig: cluster.kubeconfig }), 'test');
  api.addNode('node-1', { labels: { pool: 'a' } });
  api.addNode('node-2', { labels: { pool: 'b' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['node-1'] });
  api.addDeployment('shop', 'api', { replicas: 2, labels: { app: 'api' }, nodeNames: ['node-1'] });
  api.addStatefulSet('shop', 'db', { replicas: 3, labels: { app: 'db' }, nodeNames: ['node-1'] });
  api.installChaosMesh();
});

describe('confirmed after a real revert', () => {
  it('scale-down: the workloads run their recorded replicas again and carry no mark', async () => {
    const d = driver();
    const h = await injected(d, { kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 0 } });
    const sts = await injected(d, { kind: 'StatefulSet', name: 'db' }, { type: 'scale-down', parameters: { percent: 50 } });
    await d.revert(h, { log });
    await d.revert(sts, { log });
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
    expect(await d.confirmReverted(sts, { log })).toEqual(confirmed);
  });

  it('node-drain: the node Faultline cordoned is schedulable and unmarked', async () => {
    const d = driver();
    const h = await injected(d, { nodeSelector: { pool: 'b' } }, { type: 'node-drain' });
    expect((api.get('nodes', null, 'node-2')?.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
    await d.revert(h, { log });
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
  });

  it('network-partition: the policy is gone (404) and the pods carry no label of the handle', async () => {
    const d = driver();
    const h = await injected(d, { selector: { app: 'web' } }, { type: 'network-partition' }, 2);
    await d.revert(h, { log });
    const from = api.requests.length;
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
    const reads = api.requests.slice(from).map((r) => `${r.method} ${r.status} ${r.path.split('/').slice(-2).join('/')}`);
    expect(reads.filter((r) => r.includes('networkpolicies/'))).toEqual([expect.stringMatching(/^GET 404 /)]);
    expect(reads.filter((r) => r.includes('pods/'))).toHaveLength(2);
  });

  it('chaos-mesh: the resource is gone', async () => {
    const d = driver();
    const h = await injected(d, { selector: { app: 'api' } }, { type: 'chaos-mesh', parameters: { kind: 'NetworkChaos', spec: { action: 'delay', delay: { latency: '100ms' } } } });
    await d.revert(h, { log });
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
  });

  it('a handle rebuilt from the cluster (reconcile after a crash) is confirmed the same way', async () => {
    const d = driver();
    const h = await injected(d, { kind: 'Deployment', name: 'api' }, { type: 'scale-down', parameters: { replicas: 1 } });
    const rebuilt = (await driver().listOwned({ log })).find((x) => x.handleId === h.handleId)!;
    expect(rebuilt.data.rebuilt).toBe(true);
    expect((await d.confirmReverted(journaled(rebuilt), { log })).confirmed).toBe(false);
    await d.revert(journaled(rebuilt), { log });
    expect(await d.confirmReverted(journaled(rebuilt), { log })).toEqual(confirmed);
  });

  it('pod-delete changes no object: confirmed once its interval loop has stopped', async () => {
    const d = driver();
    const h = await injected(d, { selector: { app: 'web' } }, { type: 'pod-delete', parameters: { interval: '10s' } });
    const running = await d.confirmReverted(h, { log });
    expect(running.confirmed).toBe(false);
    expect(running.differences).toEqual([`pod-delete interval of ${h.handleId} is still running`]);
    await d.revert(h, { log });
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
  });
});

describe('not confirmed', () => {
  it('something scaled the workload back down after the revert', async () => {
    const d = driver();
    const h = await injected(d, { kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 1 } });
    await d.revert(h, { log });
    await other.call('scale web down again', (a, o) => a.apps.patchNamespacedDeployment({ name: 'web', namespace: 'shop', body: { spec: { replicas: 0 } } }, o), { mergePatch: true });
    const receipt = await d.confirmReverted(h, { log });
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences).toEqual(['deployment/shop/web: 0 replicas, expected 3']);
    expect(receipt.manualSteps[0]).toContain('kubectl -n shop scale deployment/web --replicas=3');
    expect(receipt.manualSteps.at(-1)).toBe(`kubectl get deploy,sts,pods,networkpolicies,nodes -A -l faultline.dev/handle=${h.handleId}`);
    await d.revert(h, { log }); // the object no longer carries the handle: revert leaves it alone
    await other.call('scale web back', (a, o) => a.apps.patchNamespacedDeployment({ name: 'web', namespace: 'shop', body: { spec: { replicas: 3 } } }, o), { mergePatch: true });
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);
  });

  it('the revert did not happen: the policy still exists and the pods are still labelled', async () => {
    const d = driver();
    const h = await injected(d, { selector: { app: 'api' } }, { type: 'network-partition', parameters: { direction: 'ingress' } });
    const receipt = await d.confirmReverted(h, { log });
    const pod = (h.targets[0] as ResolvedTarget).name;
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences).toEqual(expect.arrayContaining([`networkpolicy/shop/faultline-${h.handleId}: still exists, expected it deleted`, `pod/shop/${pod}: still labelled faultline.dev/handle=${h.handleId}`]));
    expect(receipt.manualSteps).toEqual(expect.arrayContaining([`kubectl -n shop delete networkpolicy faultline-${h.handleId}`, expect.stringContaining(`kubectl -n shop label pod ${pod} faultline.dev/experiment-`)]));
    await d.revert(h, { log });
    expect((await d.confirmReverted(h, { log })).confirmed).toBe(true);
  });

  it('someone cordoned the node again, or the workload was deleted', async () => {
    const d = driver();
    const h = await injected(d, { nodeSelector: { pool: 'b' } }, { type: 'node-drain' });
    await d.revert(h, { log });
    await other.call('cordon node-2', (a, o) => a.core.patchNode({ name: 'node-2', body: { spec: { unschedulable: true } } }, o), { mergePatch: true });
    expect(await d.confirmReverted(h, { log })).toMatchObject({ confirmed: false, differences: ['node/node-2: still cordoned (unschedulable), expected schedulable'], manualSteps: [expect.stringContaining('kubectl uncordon node-2'), expect.any(String)] });
    await other.call('uncordon node-2', (a, o) => a.core.patchNode({ name: 'node-2', body: { spec: { unschedulable: null } } }, o), { mergePatch: true });

    api.addDeployment('shop', 'gone', { replicas: 2, labels: { app: 'gone' }, nodeNames: ['node-1'] });
    const w = await injected(d, { kind: 'Deployment', name: 'gone' }, { type: 'scale-down', parameters: { replicas: 1 } });
    await other.call('delete the deployment', (a, o) => a.apps.deleteNamespacedDeployment({ name: 'gone', namespace: 'shop' }, o));
    expect((await d.confirmReverted(w, { log })).differences).toEqual(['deployment/shop/gone: no longer exists, expected 2 replicas']);
  });

  it('an API error while reading back is not a confirmation', async () => {
    const d = driver();
    const h = await injected(d, { kind: 'Deployment', name: 'api' }, { type: 'scale-down', parameters: { replicas: 1 } });
    await d.revert(h, { log });
    api.failNext({ method: 'GET', pathIncludes: '/deployments/api' }, 503, 3); // every try (revertAttempts: 3)
    const receipt = await d.confirmReverted(h, { log });
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences).toEqual([expect.stringMatching(/^deployment\/shop\/api: could not read it back \(HTTP 503.*\), so the revert is not confirmed$/)]);
    expect(receipt.manualSteps[0]).toContain('kubectl -n shop scale deployment/api --replicas=2');

    api.failNext({ method: 'GET', pathIncludes: '/deployments/api' }, 503, 1); // a blip is retried
    expect(await d.confirmReverted(h, { log })).toEqual(confirmed);

    const from = api.requests.length;
    api.failNext({ method: 'GET', pathIncludes: '/deployments/api' }, 403, 1); // not worth retrying
    expect((await d.confirmReverted(h, { log })).differences[0]).toContain('HTTP 403');
    expect(api.requests.slice(from).filter((r) => r.path.endsWith('/deployments/api'))).toHaveLength(1);
  });

  it('unreadable handle data is not a confirmation', async () => {
    const receipt = await driver().confirmReverted({ ...(await injected(driver(), { kind: 'Deployment', name: 'api' }, { type: 'scale-down', parameters: { replicas: 1 } })), data: { objects: 'nope' } }, { log });
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences[0]).toContain('unreadable data');
    for (const h of await driver().listOwned({ log })) await driver().revert(h, { log });
  });
});

describe('the lazy wrapper', () => {
  const noCluster = () => lazyKubernetesTargetAdapter.configSchema.parse({ homeDir: cluster.dir, serviceAccountDir: join(cluster.dir, 'none') });
  const handle = (objects: unknown[]): FaultHandle => ({ handleId: 'fh-lazy', experimentId: 'exp-lazy', adapter: 'kubernetes', faultType: 'pod-delete', targets: [], appliedAt: 0, expiresAt: 1, data: { objects } });

  it('with no cluster configured and nothing loaded, a handle with no objects is confirmed', async () => {
    const from = api.requests.length;
    const d = lazyKubernetesTargetAdapter.create(noCluster(), { log, now: Date.now });
    expect(await d.confirmReverted(handle([]), { log })).toEqual(confirmed);
    expect(api.requests.length).toBe(from);
  });

  it('with objects but no cluster, the receipt names why it could not read them', async () => {
    const d = lazyKubernetesTargetAdapter.create(noCluster(), { log, now: Date.now });
    const receipt = await d.confirmReverted(handle([{ kind: 'Deployment', namespace: 'shop', name: 'web', originalReplicas: 3 }]), { log });
    expect(receipt.confirmed).toBe(false);
    expect(receipt.differences[0]).toContain('no kubeconfig found');
  });

  it('with a cluster, it reads back through the real driver', async () => {
    const d = lazyKubernetesTargetAdapter.create(lazyKubernetesTargetAdapter.configSchema.parse({ kubeconfig: cluster.kubeconfig }), { log, now: Date.now });
    expect(await d.confirmReverted(handle([{ kind: 'Deployment', namespace: 'shop', name: 'web', originalReplicas: 3 }]), { log })).toEqual(confirmed);
    expect((await d.confirmReverted(handle([{ kind: 'Deployment', namespace: 'shop', name: 'web', originalReplicas: 5 }]), { log })).differences).toEqual(['deployment/shop/web: 3 replicas, expected 5']);
    await d.close?.();
  });
});
