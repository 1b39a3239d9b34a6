import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTIAL_NOTE, type ResolvedTarget, type TargetContext, type TargetDriver } from '../../src/core/ports.js';
import { kubernetesFaultSchema, kubernetesTargetAdapter } from '../../src/adapters/targets/kubernetes/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeTarget } from '../support/kube-adapter.js';

/**
 * A drain through the real client against the stand-in: what a PodDisruptionBudget refuses is said
 * (as a partial-fault note per node and on the handle), opt-in and protected namespaces are never
 * evicted, and the preview lists per namespace what it would evict and what it leaves.
 */

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
const log = new RecordingLog();
const OPT_IN = { 'faultline.dev/chaos': 'enabled' };

const driver = (): TargetDriver =>
  kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig, optInNamespaces: true, revertBackoff: '10ms' }), { log, now: Date.now });
const target = kubeTarget;
const fault = kubernetesFaultSchema.parse({ type: 'node-drain', duration: '1m' });
const ctx = (notes: Array<[string, Record<string, unknown>]>): TargetContext => ({
  experimentId: 'exp-drain',
  handleId: 'fh-drain',
  expiresAt: Date.now() + 60_000,
  now: Date.now,
  log,
  note: (k, d) => notes.push([k, d]),
});

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'faultline-kube-drain-'));
  kubeconfig = api.writeKubeconfig(dir);
  api.addNode('n1', { labels: { pool: 'general', ...OPT_IN } });
  api.addNode('n2', { labels: { pool: 'general', ...OPT_IN } });
  api.addNode('n3', { labels: { pool: 'batch' } });
  api.addNamespace('shop', OPT_IN);
  api.addNamespace('legacy');
  api.addDeployment('shop', 'cart', { replicas: 2, labels: { app: 'cart' }, nodeNames: ['n1'] });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['n1'] });
  api.addPdb('shop', 'cart-pdb', { selector: { app: 'cart' }, minAvailable: 2 });
  api.addPod('legacy', { name: 'old-1', labels: { app: 'old' }, nodeName: 'n1', phase: 'Running', ready: true });
  api.addPod('kube-system', { name: 'coredns-1', labels: { k8s: 'dns' }, nodeName: 'n1', phase: 'Running', ready: true });
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node-drain', () => {
  it('previews, per namespace, what it would evict and what it leaves on the node; nodes count against the whole cluster', async () => {
    const d = driver();
    const nodes = await d.preview(target({ nodeSelector: { pool: 'general' } }), { log });
    expect(nodes.map((n) => n.id)).toEqual(['node/n1', 'node/n2']); // n3 has not opted in
    expect(await d.population!(target({ nodeSelector: { pool: 'general' } }), { log })).toBe(3);
    expect(await d.population!(target({ namespace: 'shop', selector: { app: 'web' } }), { log })).toBeUndefined();
    const n1 = nodes.filter((n) => n.name === 'n1');
    const lines = await d.impact!(fault, n1, { log });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('n1 · kube-system: leaves coredns-1 (protected)');
    expect(lines[1]).toBe('n1 · legacy: leaves old-1 (namespace not opted in)');
    expect(lines[2]).toMatch(/^n1 · shop: evicts cart-\S+, cart-\S+, web-\S+, web-\S+, web-\S+$/);
    await d.close?.();
  });

  it('evicts what it may, says which a PodDisruptionBudget refused, and leaves protected and not-opted-in namespaces alone', async () => {
    const d = driver();
    const [n1] = (await d.preview(target({ nodeSelector: { pool: 'general' } }), { log })).filter((n) => n.name === 'n1');
    const notes: Array<[string, Record<string, unknown>]> = [];
    const handle = await d.inject(fault, [n1 as ResolvedTarget], ctx(notes));

    expect(handle.partial).toEqual({ applied: 3, intended: 5, unit: 'pods', action: 'evicted', reason: 'PodDisruptionBudget cart-pdb' });
    expect(notes.filter(([k]) => k === PARTIAL_NOTE)).toEqual([[PARTIAL_NOTE, { applied: 3, intended: 5, unit: 'pods', action: 'evicted', reason: 'PodDisruptionBudget cart-pdb', where: 'node n1' }]]);
    const refused = notes.filter(([k]) => k === 'eviction-refused');
    expect(refused).toHaveLength(2);
    expect(refused[0]?.[1]).toMatchObject({ node: 'n1', budget: 'cart-pdb' });
    expect(handle.data.skipped).toEqual(
      expect.arrayContaining([
        { pod: 'pod/legacy/old-1', why: 'not-opted-in' },
        { pod: 'pod/kube-system/coredns-1', why: 'protected' },
      ]),
    );
    expect((handle.data.evicted as string[]).every((p) => p.startsWith('pod/shop/web-'))).toBe(true);
    expect(api.get('pods', 'legacy', 'old-1')).toBeDefined();
    expect(api.get('pods', 'kube-system', 'coredns-1')).toBeDefined();
    expect(api.requests.some((r) => r.method === 'POST' && r.path.includes('/namespaces/legacy/'))).toBe(false);
    await d.revert(handle, { log });
    await d.close?.();
  });
});
