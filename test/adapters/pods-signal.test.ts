import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { SignalSource } from '../../src/core/ports.js';
import { podsSignalAdapter, podsSignalSchema, type PodsSignalConfigInput } from '../../src/adapters/signals/pods/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';

/** The `pods` signal through the real client library against the API stand-in. */

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
const deps = { log: { info() {}, warn() {}, error() {}, debug() {} }, now: Date.now };
const source = (over: Partial<PodsSignalConfigInput> = {}): SignalSource => podsSignalAdapter.create(podsSignalAdapter.configSchema.parse({ kubeconfig, ...over }), deps);
const q = (query: Record<string, unknown>) => ({ source: 'pods', namespace: 'shop', ...query }) as unknown as SignalQuery;
const sctx = (timeoutMs = 2_000) => ({ now: Date.now, timeoutMs });

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 150 });
  dir = mkdtempSync(join(tmpdir(), 'faultline-pods-signal-'));
  kubeconfig = api.writeKubeconfig(dir);
  api.addNode('node-1');
  api.addDeployment('shop', 'checkout', { replicas: 3, labels: { app: 'checkout' } });
  api.addPod('shop', { name: 'stuck', labels: { app: 'web' }, nodeName: 'node-1', phase: 'Running', ready: false });
  api.addPod('shop', { name: 'fine', labels: { app: 'web' }, nodeName: 'node-1', phase: 'Running', ready: true });
  api.addPod('shop', { name: 'pending', labels: { app: 'web' }, phase: 'Pending', ready: false });
  api.addPod('shop', { name: 'old-job', labels: { app: 'web' }, nodeName: 'node-1', phase: 'Succeeded', ready: false });
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pods signal', () => {
  it('parses queries strictly with defaults', () => {
    expect(podsSignalSchema.parse({ source: 'pods', namespace: 'shop' })).toEqual({ source: 'pods', namespace: 'shop', selector: {}, measure: 'ready-ratio' });
    expect(podsSignalSchema.safeParse({ source: 'pods' }).success).toBe(false);
    expect(podsSignalSchema.safeParse({ source: 'pods', namespace: 'shop', measure: 'cpu' }).success).toBe(false);
    expect(podsSignalSchema.safeParse({ source: 'pods', namespace: 'shop', url: 'x' }).success).toBe(false);
    expect(source().describe(q({ selector: { app: 'checkout' }, measure: 'ready-count' }))).toBe("pods shop/app=checkout → ready-count in the kubeconfig's current context");
    expect(source({ context: 'stand-in' }).describe(q({}))).toBe('pods shop/(all) → ready-ratio in cluster stand-in');
    expect(source().describe(q({ cluster: 'prod' }))).toBe('pods shop/(all) → ready-ratio in cluster prod');
    expect(podsSignalSchema.safeParse({ source: 'pods', namespace: 'shop', cluster: 'has space' }).success).toBe(false);
  });

  it('reads the Ready share, the Ready count and the Running count (finished pods left out)', async () => {
    const s = source();
    expect(await s.sample(q({ selector: { app: 'checkout' } }), sctx())).toMatchObject({ status: 'ok', value: 1 });
    expect(await s.sample(q({ selector: { app: 'web' }, measure: 'ready-ratio' }), sctx())).toMatchObject({ status: 'ok', value: 1 / 3 });
    expect(await s.sample(q({ selector: { app: 'web' }, measure: 'ready-count' }), sctx())).toMatchObject({ status: 'ok', value: 1 });
    expect(await s.sample(q({ selector: { app: 'web' }, measure: 'running-count' }), sctx())).toMatchObject({ status: 'ok', value: 2 });
  });

  it('sees a deleted pod come back', async () => {
    const s = source();
    const victim = api.list('pods', 'shop').find((p) => (p.metadata as { name: string }).name.startsWith('checkout-'));
    const { name } = victim?.metadata as { name: string };
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name, namespace: 'shop', gracePeriodSeconds: 0 });
    let low: number | undefined;
    const until = Date.now() + 5_000;
    let last = 0;
    while (Date.now() < until) {
      const r = await s.sample(q({ selector: { app: 'checkout' } }), sctx());
      if (r.status === 'ok') {
        last = r.value;
        if (r.value < 1) low = r.value;
        if (low !== undefined && r.value === 1) break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(low).toBeCloseTo(2 / 3);
    expect(last).toBe(1);
  });

  it('pages with limit/continue', async () => {
    const from = api.requests.length;
    expect(await source({ pageSize: 1 }).sample(q({ selector: { app: 'web' }, measure: 'running-count' }), sctx())).toMatchObject({ value: 2 });
    const lists = api.requests.slice(from);
    expect(lists.length).toBe(4);
    expect(lists.every((r) => r.query.limit === '1')).toBe(true);
  });

  it('answers unknown, never throws: no match, API errors, timeouts, no cluster, bad queries', async () => {
    const s = source();
    const none = await s.sample(q({ selector: { app: 'nothing' } }), sctx());
    expect(none).toMatchObject({ status: 'unknown', reason: 'no pods match app=nothing in namespace shop' });
    api.failNext({ method: 'GET', pathIncludes: '/namespaces/shop/pods' }, 503);
    const failed = await s.sample(q({ selector: { app: 'checkout' } }), sctx());
    expect(failed.status).toBe('unknown');
    expect(failed.status === 'unknown' && failed.reason).toMatch(/^pods shop\/app=checkout → ready-ratio in the kubeconfig's current context: HTTP 503/);
    api.slowNext({ method: 'GET', pathIncludes: '/namespaces/shop/pods' }, 800);
    expect(await s.sample(q({ selector: { app: 'checkout' } }), sctx(200))).toMatchObject({ status: 'unknown', reason: "pods shop/app=checkout → ready-ratio in the kubeconfig's current context: no answer within 200 ms" });
    const noCluster = source({ kubeconfig: undefined, serviceAccountDir: join(dir, 'no-sa'), homeDir: join(dir, 'no-home') });
    expect(await noCluster.sample(q({}), sctx())).toMatchObject({ status: 'unknown', reason: "pods shop/(all) → ready-ratio in the kubeconfig's current context: no kubeconfig found: set KUBECONFIG or adapters.signals.pods.kubeconfig" });
    expect(await s.sample({ source: 'pods' } as SignalQuery, sctx())).toMatchObject({ status: 'unknown', reason: expect.stringContaining('invalid pods signal: namespace') });
  });
});
