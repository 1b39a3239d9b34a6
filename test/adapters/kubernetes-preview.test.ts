import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectTargets, type ProtectionPolicy } from '../../src/core/blast-radius.js';
import { isFaultlineError } from '../../src/core/errors.js';
import type { Experiment } from '../../src/core/playbook.js';
import type { TargetDriver } from '../../src/core/ports.js';
import { buildPlan } from '../../src/engine/experiments/plan-builder.js';
import type { EngineSettings } from '../../src/engine/engine-deps.js';
import { kubernetesTargetAdapter, type KubernetesTargetConfigInput } from '../../src/adapters/targets/kubernetes/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeTarget } from '../support/kube-adapter.js';

/** Preview: what exactly would be hit, paginated, with what the core needs to protect namespaces and labels. */

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
const log = new RecordingLog();

function driver(over: Partial<KubernetesTargetConfigInput> = {}): TargetDriver {
  return kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig, namespace: 'shop', ...over }), { log, now: Date.now });
}
const target = kubeTarget;
const defaults: ProtectionPolicy = { namespaces: ['kube-system', 'kube-public', 'kube-node-lease'], labels: ['faultline.dev/protected=true'], names: [] };
const wide = { maxTargets: 100, maxPercent: 100 };

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 50 });
  dir = mkdtempSync(join(tmpdir(), 'faultline-kube-preview-'));
  kubeconfig = api.writeKubeconfig(dir);
  api.addNode('node-1', { labels: { 'topology.kubernetes.io/zone': 'z1' } });
  api.addNode('node-2', { labels: { 'topology.kubernetes.io/zone': 'z2' } });
  api.addDeployment('shop', 'checkout', { replicas: 3, labels: { app: 'checkout', tier: 'web' } });
  api.addDeployment('shop', 'ledger', { replicas: 2, labels: { app: 'ledger', tier: 'db' } });
  api.addPod('shop', { name: 'canary', labels: { app: 'checkout', tier: 'web', track: 'canary' }, annotations: { 'example.com/owner': 'payments' }, nodeName: 'node-2', phase: 'Running', ready: true });
  api.addPod('shop', { name: 'done-job', labels: { app: 'checkout' }, nodeName: 'node-1', phase: 'Succeeded' });
  api.addPod('shop', { name: 'vip', labels: { app: 'checkout', 'faultline.dev/protected': 'true' }, nodeName: 'node-1', phase: 'Running', ready: true });
  api.addPod('kube-system', { name: 'coredns-1', labels: { app: 'checkout' }, nodeName: 'node-1', phase: 'Running', ready: true });
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('kubernetes preview', () => {
  it('lists the pods a selector matches with stable ids, namespace and labels (finished pods left out)', async () => {
    const pods = await driver().preview(target({ selector: { app: 'checkout' } }), { log });
    expect(pods.map((p) => p.name)).toContain('canary');
    expect(pods.map((p) => p.name)).not.toContain('done-job');
    expect(pods).toHaveLength(5); // 3 replicas + canary + vip
    const canary = pods.find((p) => p.name === 'canary');
    expect(canary).toMatchObject({ id: 'pod/shop/canary', kind: 'pod', attributes: { namespace: 'shop', node: 'node-2', 'label.app': 'checkout', 'label.track': 'canary', track: 'canary' } });
    const replica = pods.find((p) => p.name.startsWith('checkout-'));
    expect(replica?.attributes.owner).toMatch(/^ReplicaSet\/checkout-/);
    expect(pods.map((p) => p.id)).toEqual([...pods.map((p) => p.id)].sort());
  });

  it('narrows by field selector and by annotations', async () => {
    const d = driver();
    const onNode2 = await d.preview(target({ selector: { app: 'checkout' }, fieldSelector: 'spec.nodeName=node-2' }), { log });
    expect(onNode2.every((p) => p.attributes.node === 'node-2')).toBe(true);
    expect(onNode2.map((p) => p.name)).toContain('canary');
    const annotated = await d.preview(target({ selector: { app: 'checkout' }, annotations: { 'example.com/owner': 'payments' } }), { log });
    expect(annotated.map((p) => p.name)).toEqual(['canary']);
    const sent = api.requests.filter((r) => r.path === '/api/v1/namespaces/shop/pods' && r.query.fieldSelector === 'spec.nodeName=node-2');
    expect(sent[0]?.query.labelSelector).toBe('app=checkout');
  });

  it('resolves workloads by kind and name, and nodes by zone', async () => {
    const d = driver();
    expect(await d.preview(target({ kind: 'Deployment', selector: { tier: 'db' } }), { log })).toEqual([
      expect.objectContaining({ id: 'deployment/shop/ledger', name: 'ledger', kind: 'deployment', attributes: expect.objectContaining({ namespace: 'shop', replicas: '2' }) }),
    ]);
    expect((await d.preview(target({ kind: 'Deployment', name: 'checkout' }), { log })).map((w) => w.id)).toEqual(['deployment/shop/checkout']);
    expect((await d.preview(target({ zone: 'z2' }), { log })).map((n) => [n.id, n.attributes.zone])).toEqual([['node/node-2', 'z2']]);
  });

  it('puts the namespace and the raw labels in attributes, so the core drops protected candidates', async () => {
    const d = driver();
    const system = await d.preview(target({ namespace: 'kube-system', selector: { app: 'checkout' } }), { log });
    expect(system.map((p) => p.attributes.namespace)).toEqual(['kube-system']);
    let refused: unknown;
    try {
      selectTargets(system, { kind: 'all' }, wide, defaults, 1);
    } catch (err) {
      refused = err;
    }
    expect(isFaultlineError(refused, 'protected_target')).toBe(true);
    const shop = await d.preview(target({ selector: { app: 'checkout' } }), { log });
    const sel = selectTargets(shop, { kind: 'all' }, wide, defaults, 1);
    expect(sel.protectedOut.map((t) => t.name)).toEqual(['vip']);
    expect(sel.selected.map((t) => t.name)).not.toContain('vip');
  });

  it('pages through 10 000 pods with limit/continue, never one unbounded list', async () => {
    for (let i = 0; i < 10_000; i += 1) api.addPod('bulk', { name: `w-${String(i).padStart(5, '0')}`, labels: { app: 'worker' }, nodeName: 'node-1', phase: 'Running', ready: true });
    const from = api.requests.length;
    const pods = await driver({ pageSize: 500 }).preview(target({ namespace: 'bulk', selector: { app: 'worker' } }), { log });
    expect(pods).toHaveLength(10_000);
    expect(new Set(pods.map((p) => p.id)).size).toBe(10_000);
    const lists = api.requests.slice(from).filter((r) => r.path === '/api/v1/namespaces/bulk/pods');
    expect(lists).toHaveLength(20);
    expect(lists.every((r) => r.query.limit === '500')).toBe(true);
    expect(lists[0]?.query.continue).toBeUndefined();
    expect(lists.slice(1).every((r) => typeof r.query.continue === 'string' && r.query.continue.length > 0)).toBe(true);
  });

  it('in opt-in mode refuses a namespace without faultline.dev/chaos=enabled, and takes one with it', async () => {
    const d = driver({ optInNamespaces: true });
    const err = await d.preview(target({ selector: { app: 'checkout' } }), { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'protected_target')).toBe(true);
    expect((err as Error).message).toContain('label it faultline.dev/chaos=enabled');
    api.addNamespace('shop', { 'faultline.dev/chaos': 'enabled' });
    expect((await d.preview(target({ selector: { app: 'checkout' } }), { log })).length).toBe(5);
    // Nodes must opt in themselves: none has the label yet.
    expect(await d.preview(target({ zone: 'z1' }), { log })).toEqual([]);
  });

  it('shows plan drift: a new matching pod changes the plan built from the preview', async () => {
    const d = driver();
    const targets = new Map([['kubernetes', d]]);
    const settings = { caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 3, maxDurationMs: 3_600_000 }, protection: defaults, targetTimeoutMs: 10_000 } as unknown as EngineSettings;
    const spec = {
      name: 'drift',
      target: target({ selector: { app: 'ledger' }, blastRadius: 'all' }),
      fault: { type: 'pod-delete', parameters: {}, duration: 60_000 },
      guardrails: [],
      steadyState: [],
      maxUnknown: 3,
    } as unknown as Experiment;
    const before = await buildPlan(spec, 7, { targets, signals: new Map(), settings, log });
    expect(before.plan.targets).toHaveLength(2);
    api.addPod('shop', { name: 'ledger-extra', labels: { app: 'ledger' }, nodeName: 'node-1', phase: 'Running', ready: true });
    const after = await buildPlan(spec, 7, { targets, signals: new Map(), settings, log });
    expect(after.plan.targets.map((t) => t.name)).toContain('ledger-extra');
    expect(after.hash).not.toBe(before.hash);
  });

  it('wraps API failures as adapter_error with the server’s words', async () => {
    api.failNext({ method: 'GET', pathIncludes: '/namespaces/shop/pods' }, 403);
    const err = await driver().preview(target({ selector: { app: 'checkout' } }), { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'adapter_error')).toBe(true);
    expect((err as Error).message).toMatch(/could not list kubernetes targets: HTTP 403/);
  });
});
