import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyPodsSignalAdapter } from '../../src/adapters/signals/pods/lazy.js';
import { clusterConfigured, lazyKubernetesTargetAdapter } from '../../src/adapters/targets/kubernetes/lazy.js';
import { kubernetesTargetSchema } from '../../src/adapters/targets/kubernetes/schema.js';
import type { TargetSpec } from '../../src/core/ports.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('the Kubernetes adapters as the app registers them (client loaded on first use)', () => {
  let api: KubeApiStandIn;
  let dir: string;
  beforeAll(async () => {
    api = await KubeApiStandIn.start();
    dir = mkdtempSync(join(tmpdir(), 'faultline-lazy-'));
    api.addNode('node-1');
    api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['node-1'] });
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without any cluster configured, reconcile finds nothing and nothing is contacted', async () => {
    const config = lazyKubernetesTargetAdapter.configSchema.parse({ homeDir: dir, serviceAccountDir: join(dir, 'none') });
    expect(clusterConfigured(config)).toBe(false);
    const driver = lazyKubernetesTargetAdapter.create(config, { log: quiet, now: Date.now });
    expect(await driver.listOwned({ log: quiet })).toEqual([]);
    await expect(driver.preview(kubernetesTargetSchema.parse({ adapter: 'kubernetes', namespace: 'shop', selector: { app: 'web' } }) as TargetSpec, { log: quiet })).rejects.toMatchObject({
      code: 'adapter_error',
      message: expect.stringContaining('no kubeconfig found'),
    });
  });

  it('with a kubeconfig, it behaves as the adapter itself: preview and the pods signal', async () => {
    const kubeconfig = api.writeKubeconfig(dir);
    const driver = lazyKubernetesTargetAdapter.create(lazyKubernetesTargetAdapter.configSchema.parse({ kubeconfig }), { log: quiet, now: Date.now });
    const pods = await driver.preview(kubernetesTargetSchema.parse({ adapter: 'kubernetes', namespace: 'shop', selector: { app: 'web' }, blastRadius: 'all' }) as TargetSpec, { log: quiet });
    expect(pods).toHaveLength(3);
    const signal = lazyPodsSignalAdapter.create(lazyPodsSignalAdapter.configSchema.parse({ kubeconfig }), { log: quiet, now: Date.now });
    const q = signal.schema.parse({ source: 'pods', namespace: 'shop', selector: { app: 'web' }, measure: 'ready-count' }) as never;
    expect(signal.describe(q)).toBe("pods shop/app=web → ready-count in the kubeconfig's current context");
    await new Promise((r) => setTimeout(r, 300));
    expect(await signal.sample(q, { now: Date.now, timeoutMs: 2000 })).toMatchObject({ status: 'ok', value: 3 });
  });
});
