import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFaultlineError } from '../../src/core/errors.js';
import type { TargetDriver } from '../../src/core/ports.js';
import { checkPlaybookFile } from '../../src/playbooks/load-playbooks.js';
import { prometheusSignalSchema } from '../../src/adapters/signals/prometheus/schema.js';
import { podsSignalAdapter } from '../../src/adapters/signals/pods/index.js';
import {
  kubernetesFaultSchema,
  kubernetesTargetAdapter,
  kubernetesTargetSchema,
  policySpec,
  scaledReplicas,
  type KubernetesTargetConfigInput,
} from '../../src/adapters/targets/kubernetes/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeTarget } from '../support/kube-adapter.js';

/** Schemas, example playbooks, and finding a cluster (or, politely, not finding one). */

const log = new RecordingLog();
let dir: string;
const make = (c: KubernetesTargetConfigInput): TargetDriver => kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse(c), { log, now: Date.now });
const target = kubeTarget;
/** No kubeconfig anywhere: no explicit path, no service account, an empty home. */
const nowhere = () => ({ serviceAccountDir: join(dir, 'no-sa'), homeDir: join(dir, 'empty-home') });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'faultline-kube-schema-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kubernetes adapter: config and schemas', () => {
  it('has config defaults and is strict', () => {
    expect(kubernetesTargetAdapter.kind).toBe('kubernetes');
    expect(kubernetesTargetAdapter.configSchema.parse({})).toEqual({
      requestTimeout: 10_000,
      pageSize: 500,
      inClusterServer: 'https://kubernetes.default.svc',
      serviceAccountDir: '/var/run/secrets/kubernetes.io/serviceaccount',
      namespace: 'default',
      clusters: [],
      optInNamespaces: false,
      revertAttempts: 5,
      revertBackoff: 250,
      protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'],
      protectedLabels: ['faultline.dev/protected=true'],
    });
    expect(kubernetesTargetAdapter.configSchema.safeParse({ kubeconfg: '/x' }).success).toBe(false);
    expect(kubernetesTargetAdapter.configSchema.safeParse({ pageSize: 0 }).success).toBe(false);
  });

  it('parses targets: pods, workloads and nodes, and refuses mixtures', () => {
    expect(kubernetesTargetSchema.parse({ adapter: 'kubernetes', namespace: 'shop', selector: { app: 'checkout' } })).toEqual({
      adapter: 'kubernetes',
      namespace: 'shop',
      selector: { app: 'checkout' },
      blastRadius: { kind: 'one' },
    });
    expect(kubernetesTargetSchema.parse({ adapter: 'kubernetes', kind: 'StatefulSet', name: 'db', blastRadius: 'all' }).kind).toBe('StatefulSet');
    for (const bad of [
      { name: 'cart' },
      { kind: 'Deployment', zone: 'a' },
      { namespace: 'shop', nodeSelector: { pool: 'x' } },
      { selector: { app: 'x' }, zone: 'a' },
      { selector: { 'bad key!': 'x' } },
      { selector: { app: 'a,b' } },
      { namespace: 'Shop' },
      { fieldSelector: 'status.phase in (Running)' },
      { kind: 'DaemonSet' },
      { blastRadius: 'percent:0' },
    ]) {
      expect(kubernetesTargetSchema.safeParse({ adapter: 'kubernetes', ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('parses every fault with its parameters, and refuses bad ones', () => {
    expect(kubernetesFaultSchema.parse({ type: 'pod-delete', duration: '5m', parameters: { interval: '30s' } }).parameters).toEqual({ interval: 30_000 });
    expect(kubernetesFaultSchema.parse({ type: 'network-partition', duration: '1m' }).parameters).toEqual({ direction: 'both' });
    expect(kubernetesFaultSchema.parse({ type: 'chaos-mesh', duration: '1m', parameters: { kind: 'TimeChaos', spec: { timeOffset: '-2h' } } }).parameters).toMatchObject({ kind: 'TimeChaos' });
    for (const bad of [
      { type: 'pod-delete', duration: '1m', parameters: { interval: '100ms' } },
      { type: 'pod-delete', duration: 'soon' },
      { type: 'scale-down', duration: '1m', parameters: {} },
      { type: 'scale-down', duration: '1m', parameters: { replicas: 1, percent: 50 } },
      { type: 'scale-down', duration: '1m', parameters: { percent: 0 } },
      { type: 'zone-outage', duration: '1m', parameters: {} },
      { type: 'network-partition', duration: '1m', parameters: { direction: 'sideways' } },
      { type: 'dependency-down', duration: '1m', parameters: { dependencySelector: {} } },
      { type: 'dependency-down', duration: '1m', parameters: { dependencySelector: { app: 'db' }, port: 70_000 } },
      { type: 'chaos-mesh', duration: '1m', parameters: { kind: 'PodChaos', spec: {} } },
      { type: 'chaos-mesh', duration: '1m', parameters: { kind: 'NetworkChaos', spec: { selector: { namespaces: ['kube-system'] } } } },
      { type: 'chaos-mesh', duration: '1m', parameters: { kind: 'NetworkChaos', spec: { duration: '10h' } } },
      { type: 'cpu-burn', duration: '1m' },
    ]) {
      expect(kubernetesFaultSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('computes scale-downs and policies', () => {
    expect(scaledReplicas(4, { percent: 50 })).toBe(2);
    expect(scaledReplicas(3, { percent: 50 })).toBe(1);
    expect(scaledReplicas(1, { percent: 10 })).toBe(0);
    expect(scaledReplicas(5, { replicas: 2 })).toBe(2);
    expect(policySpec('network-partition', { direction: 'ingress' }, 'fh-1', 'shop')).toEqual({
      podSelector: { matchLabels: { 'faultline.dev/handle': 'fh-1' } },
      policyTypes: ['Ingress'],
      ingress: [],
    });
    const ipv6 = policySpec('dependency-down', { dependencySelector: { app: 'db' } }, 'fh-1', 'shop', ['fd00::5', '10.1.2.3']);
    expect(ipv6.egress?.[0]?.to).toContainEqual({ ipBlock: { cidr: '::/0', except: ['fd00::5/128'] } });
    expect(ipv6.egress?.[0]?.ports).toBeUndefined();
  });

  it('ships example playbooks that validate with the adapter schemas', () => {
    const driver = make(nowhere());
    const adapters = {
      targets: new Map([['kubernetes', driver]]),
      signals: new Map([
        ['pods', { schema: podsSignalAdapter.create(podsSignalAdapter.configSchema.parse({}), { log, now: Date.now }).schema }],
        ['prometheus', { schema: prometheusSignalSchema }],
      ]),
    };
    const folder = path.join(import.meta.dirname, '..', '..', 'playbooks', 'kubernetes');
    const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    const types = new Set<string>();
    for (const f of files) {
      const { report, playbook } = checkPlaybookFile(path.join(folder, f), adapters, {});
      expect(report.problems, f).toEqual([]);
      types.add(String(playbook?.fault.type));
    }
    expect([...types].sort()).toEqual(['chaos-mesh', 'dependency-down', 'dns-outage', 'network-partition', 'node-drain', 'pod-delete', 'scale-down', 'zone-outage']);
  });
});

describe('finding a cluster', () => {
  it('creates a driver without a cluster; the first call says how to configure one', async () => {
    const d = make(nowhere());
    const err = await d.preview(target({ selector: { app: 'x' } }), { log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'adapter_error')).toBe(true);
    expect((err as Error).message).toBe('no kubeconfig found: set KUBECONFIG or adapters.targets.kubernetes.kubeconfig');
    expect(await d.listOwned({ log })).toEqual([]); // nothing in a cluster can be ours
    const inject = await d.inject({ type: 'dns-outage', parameters: {}, duration: 1000 }, [{ id: 'pod/shop/a', name: 'a', kind: 'pod', attributes: {} }], {
      experimentId: 'exp-1',
      handleId: 'fh-1',
      expiresAt: Date.now() + 1000,
      now: Date.now,
      log,
      note: () => undefined,
    }).catch((e: unknown) => e);
    expect(isFaultlineError(inject, 'inject_failed')).toBe(true);
    expect((inject as Error).message).toContain('no kubeconfig found');
  });

  it('an explicit kubeconfig that does not exist is an error, also for listOwned', async () => {
    const d = make({ kubeconfig: join(dir, 'missing.yaml') });
    const err = await d.listOwned({ log }).catch((e: unknown) => e);
    expect(isFaultlineError(err, 'adapter_error')).toBe(true);
    expect((err as Error).message).toContain('missing.yaml does not exist');
  });

  describe('with a stand-in API server', () => {
    let api: KubeApiStandIn;
    let kubeconfig: string;
    beforeAll(async () => {
      api = await KubeApiStandIn.start();
      kubeconfig = api.writeKubeconfig(dir);
      api.addPod('shop', { name: 'p1', labels: { app: 'x' }, phase: 'Running', ready: true });
    });
    afterAll(() => api?.close());

    it('takes the first existing file of a KUBECONFIG-style list, and a named context', async () => {
      const list = [join(dir, 'nope.yaml'), kubeconfig].join(path.delimiter);
      expect(await make({ kubeconfig: list, context: 'stand-in' }).preview(target({ namespace: 'shop' }), { log })).toHaveLength(1);
      const err = await make({ kubeconfig, context: 'prod' }).preview(target({ namespace: 'shop' }), { log }).catch((e: unknown) => e);
      expect((err as Error).message).toBe('kubeconfig has no context "prod"; it has: stand-in');
    });

    it('falls back to ~/.kube/config', async () => {
      const home = join(dir, 'home');
      mkdirSync(join(home, '.kube'), { recursive: true });
      copyFileSync(kubeconfig, join(home, '.kube', 'config'));
      expect(await make({ homeDir: home, serviceAccountDir: join(dir, 'no-sa') }).preview(target({ namespace: 'shop' }), { log })).toHaveLength(1);
    });
  });
});
