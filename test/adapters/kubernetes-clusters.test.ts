import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import type { SignalQuery } from '../../src/core/playbook.js';
import type { TargetDriver, TargetSpec } from '../../src/core/ports.js';
import { podsSignalAdapter } from '../../src/adapters/signals/pods/index.js';
import { kubernetesFaultSchema, kubernetesTargetAdapter, kubernetesTargetSchema, type KubernetesTargetConfigInput } from '../../src/adapters/targets/kubernetes/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { writeMultiKubeconfig } from '../fakes/kube-multi-config.js';
import { RecordingLog } from '../fakes/recording-log.js';

/**
 * One kubeconfig, two contexts, two stand-in API servers with different pods: the adapter works in
 * its own context unless a playbook names another it may use, and the pods signal reads the cluster
 * it is told to.
 */

let prod: KubeApiStandIn;
let other: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
const log = new RecordingLog();
const drivers: TargetDriver[] = [];

const driver = (over: Partial<KubernetesTargetConfigInput> = {}): TargetDriver => {
  const d = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig, context: 'prod', clusters: ['other'], revertBackoff: '10ms', ...over }), { log, now: Date.now });
  drivers.push(d);
  return d;
};
const target = (d: TargetDriver, t: Record<string, unknown>) => d.schemas.target.parse({ adapter: 'kubernetes', namespace: 'shop', kind: 'Deployment', name: 'web', ...t }) as TargetSpec;
const replicas = (api: KubeApiStandIn) => (api.get('deployments', 'shop', 'web')?.spec as { replicas: number }).replicas;
const ctx = (n: number) => ({ experimentId: `exp-c${n}`, handleId: `fh-c${n}`, expiresAt: Date.now() + 60_000, now: Date.now, log, note: () => undefined });

beforeAll(async () => {
  [prod, other] = await Promise.all([KubeApiStandIn.start({ podStartMs: 20 }), KubeApiStandIn.start({ podStartMs: 20 })]);
  dir = mkdtempSync(join(tmpdir(), 'faultline-kube-clusters-'));
  kubeconfig = writeMultiKubeconfig(dir, { prod, other }, 'other');
  prod.addNode('p1');
  other.addNode('o1');
  prod.addDeployment('shop', 'web', { replicas: 2, labels: { app: 'web' } });
  other.addDeployment('shop', 'web', { replicas: 6, labels: { app: 'web' } });
});

afterAll(async () => {
  for (const d of drivers) await d.close?.();
  await Promise.all([prod?.close(), other?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the kubernetes target in more than one cluster', () => {
  it("works in its own context, not the kubeconfig's current one, and says so on every target", async () => {
    const d = driver();
    const [web] = await d.preview(target(d, {}), { log });
    expect(web).toMatchObject({ id: 'deployment/shop/web', attributes: { cluster: 'prod', replicas: '2' } });
    expect(d.describeTarget!(target(d, {}), [web!])).toEqual({ cluster: 'prod', namespace: 'shop', kind: 'deployment', selection: 'name=web' });
    const unset = driver({ context: undefined, clusters: [] });
    expect((await unset.preview(target(unset, {}), { log }))[0]?.attributes).toMatchObject({ cluster: 'other', replicas: '6' });
  });

  it('runs an experiment in the cluster its playbook names: preview, inject, listOwned and revert all go there', async () => {
    const d = driver();
    const spec = target(d, { cluster: 'other' });
    const targets = await d.preview(spec, { log });
    expect(targets.map((t) => t.attributes.cluster)).toEqual(['other']);
    const handle = await d.inject(kubernetesFaultSchema.parse({ type: 'scale-down', parameters: { replicas: 1 }, duration: '1m' }), targets, ctx(1));
    expect(handle.data.cluster).toBe('other');
    expect([replicas(prod), replicas(other)]).toEqual([2, 1]);
    const owned = await d.listOwned({ log });
    expect(owned.map((h) => [h.handleId, h.data.cluster])).toEqual([['fh-c1', 'other']]);
    await d.revert(owned[0]!, { log });
    expect([replicas(prod), replicas(other)]).toEqual([2, 6]);
    expect((await d.confirmReverted(handle, { log })).confirmed).toBe(true);
  });

  it('refuses a cluster it may not use, at load (schema) and at preview', async () => {
    const d = driver();
    const parsed = d.schemas.target.safeParse({ adapter: 'kubernetes', namespace: 'shop', cluster: 'staging' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['cluster'], message: 'cluster "staging" is not one this bot may use: name it in adapters.targets.kubernetes.clusters (allowed now: prod, other)' });
    expect(kubernetesTargetSchema.safeParse({ adapter: 'kubernetes', cluster: 'no spaces allowed' }).success).toBe(false);
    const err = await d.preview({ ...target(d, {}), cluster: 'staging' } as TargetSpec, { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'playbook_invalid')).toBe(true);
  });
});

describe('the pods signal in more than one cluster', () => {
  const q = (extra: Record<string, unknown> = {}) => ({ source: 'pods', namespace: 'shop', selector: { app: 'web' }, measure: 'ready-count', ...extra }) as unknown as SignalQuery;
  const sctx = { now: Date.now, timeoutMs: 2_000 };

  it('reads its own context by default, the cluster a query names otherwise, and binds a query to the experiment cluster', async () => {
    const source = podsSignalAdapter.create(podsSignalAdapter.configSchema.parse({ kubeconfig, context: 'prod' }), { log, now: Date.now });
    expect(await source.sample(q(), sctx)).toMatchObject({ status: 'ok', value: 2 });
    // The test before scaled `other` down and back: its six pods become Ready again as the stand-in starts them.
    let other = await source.sample(q({ cluster: 'other' }), sctx);
    for (let i = 0; i < 100 && !(other.status === 'ok' && other.value === 6); i++) {
      await new Promise((r) => setTimeout(r, 20));
      other = await source.sample(q({ cluster: 'other' }), sctx);
    }
    expect(other).toMatchObject({ status: 'ok', value: 6 });
    expect(source.followTarget!(q(), { adapter: 'kubernetes', cluster: 'other' })).toMatchObject({ cluster: 'other' });
    expect(source.followTarget!(q(), { adapter: 'kubernetes', resolvedCluster: 'prod' })).toMatchObject({ cluster: 'prod' });
    expect(source.followTarget!(q({ cluster: 'mine' }), { adapter: 'kubernetes', cluster: 'other' })).toMatchObject({ cluster: 'mine' });
    expect(source.followTarget!(q(), { adapter: 'process' })).not.toHaveProperty('cluster');
    const own = podsSignalAdapter.create(podsSignalAdapter.configSchema.parse({ kubeconfig, context: 'prod', followTarget: false }), { log, now: Date.now });
    expect(own.followTarget!(q(), { adapter: 'kubernetes', resolvedCluster: 'other' })).not.toHaveProperty('cluster');
    expect(own.followTarget!(q(), { adapter: 'kubernetes', cluster: 'other' })).toMatchObject({ cluster: 'other' }); // a playbook naming its cluster is always followed
    expect(source.describe(q({ cluster: 'other' }))).toBe('pods shop/app=web → ready-count in cluster other');
  });
});
