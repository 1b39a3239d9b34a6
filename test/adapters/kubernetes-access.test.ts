import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AccessCheck, FaultSpec, ResolvedTarget, TargetDriver } from '../../src/core/ports.js';
import type { KubernetesTargetConfigInput } from '../../src/adapters/targets/kubernetes/index.js';
import { accessOfRequest, SSAR_PATH, type AccessAttributes, type AccessRule } from '../fakes/kube-access.js';
import type { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeFault, kubeStandIn, kubeTarget, notingContexts } from '../support/kube-adapter.js';

/**
 * The dry run's permission check of the kubernetes adapter (checkAccess): one SelfSubjectAccessReview
 * per permission, through the real client to the API stand-in. The table it asks from is checked
 * against what each fault's inject, revert and revert receipt really call; deploy/rbac.yaml allows
 * every review; a missing rule is denied; a review the server will not answer is not checkable.
 */

const log = new RecordingLog();
const cluster = kubeStandIn({ prefix: 'faultline-kube-access-', podStartMs: 20, log, driverDefaults: { namespace: 'shop', revertBackoff: '5ms' } });
let api: KubeApiStandIn;
const ctx = notingContexts('a', 60_000, log);
const fault = kubeFault('1m');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const rbacRules = (): AccessRule[] =>
  (parseAllDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as { kind?: string; rules?: AccessRule[] }).find((d) => d.kind === 'ClusterRole')?.rules ?? []).map(
    (r) => ({ ...r }),
  );

interface Case {
  name: string;
  target: Record<string, unknown>;
  fault: Record<string, unknown>;
  driver?: Partial<KubernetesTargetConfigInput>;
  /** Wait this long after inject (an interval pod-delete's first tick). */
  holdMs?: number;
}

const chaos = (kind: string, spec: Record<string, unknown>): Case => ({ name: `chaos-mesh ${kind}`, target: { selector: { app: 'web' } }, fault: { type: 'chaos-mesh', parameters: { kind, spec } } });

const CASES: Case[] = [
  { name: 'pod-delete', target: { selector: { app: 'web' }, blastRadius: 'count:2' }, fault: { type: 'pod-delete' } },
  { name: 'pod-delete with interval', target: { selector: { app: 'web' } }, fault: { type: 'pod-delete', parameters: { interval: '250ms' } }, holdMs: 450 },
  { name: 'scale-down of a Deployment', target: { kind: 'Deployment', name: 'api' }, fault: { type: 'scale-down', parameters: { replicas: 0 } } },
  { name: 'scale-down of a StatefulSet', target: { kind: 'StatefulSet', name: 'db' }, fault: { type: 'scale-down', parameters: { replicas: 1 } } },
  { name: 'node-drain', target: { nodeSelector: { pool: 'b' } }, fault: { type: 'node-drain' } },
  { name: 'zone-outage', target: { zone: 'z-c', blastRadius: 'all' }, fault: { type: 'zone-outage', parameters: { zone: 'z-c' } } },
  { name: 'node-drain in opt-in mode', target: { nodeSelector: { pool: 'd' } }, fault: { type: 'node-drain' }, driver: { optInNamespaces: true } },
  { name: 'network-partition', target: { selector: { app: 'web' } }, fault: { type: 'network-partition' } },
  { name: 'dependency-down', target: { selector: { app: 'web' } }, fault: { type: 'dependency-down', parameters: { dependencySelector: { app: 'ledger' }, dependencyNamespace: 'data' } } },
  { name: 'dns-outage', target: { selector: { app: 'web' } }, fault: { type: 'dns-outage' } },
  chaos('NetworkChaos', { action: 'delay', delay: { latency: '50ms' } }),
  chaos('HTTPChaos', { target: 'Request', abort: true, port: 80 }),
  chaos('StressChaos', { stressors: { cpu: { workers: 1 } } }),
  chaos('TimeChaos', { timeOffset: '-1h' }),
];

beforeAll(() => {
  api = cluster.api;
  api.addNode('node-a', { labels: { pool: 'a', 'topology.kubernetes.io/zone': 'z-a' } });
  api.addNode('node-b', { labels: { pool: 'b', 'topology.kubernetes.io/zone': 'z-b' } });
  api.addNode('node-c', { labels: { pool: 'c', 'topology.kubernetes.io/zone': 'z-c' } });
  api.addNode('node-d', { labels: { pool: 'd', 'topology.kubernetes.io/zone': 'z-d', 'faultline.dev/chaos': 'enabled' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['node-a'] });
  api.addDeployment('shop', 'api', { replicas: 2, labels: { app: 'api' }, nodeNames: ['node-a'] });
  api.addStatefulSet('shop', 'db', { replicas: 2, labels: { app: 'db' }, nodeNames: ['node-a'] });
  // One workload per drained node, so every drain has something to evict.
  api.addDeployment('shop', 'on-b', { replicas: 2, labels: { app: 'on-b' }, nodeNames: ['node-a', 'node-b'] });
  api.addDeployment('shop', 'on-c', { replicas: 2, labels: { app: 'on-c' }, nodeNames: ['node-a', 'node-c'] });
  api.addNamespace('opted', { 'faultline.dev/chaos': 'enabled' });
  api.addDeployment('opted', 'on-d', { replicas: 2, labels: { app: 'on-d' }, nodeNames: ['node-a', 'node-d'] });
  api.addDeployment('data', 'ledger', { replicas: 1, labels: { app: 'ledger' }, nodeNames: ['node-a'] });
  api.installChaosMesh();
});

async function targetsOf(d: TargetDriver, c: Case): Promise<ResolvedTarget[]> {
  const found = await d.preview(kubeTarget(c.target), { log });
  const radius = c.target.blastRadius;
  return typeof radius === 'string' && radius.startsWith('count:') ? found.slice(0, Number(radius.slice(6))) : found;
}

/** Whether a review covers a call: same verb, group and resource; its namespace or all of them; its object or any. */
const covers = (review: AccessAttributes, call: AccessAttributes) =>
  review.verb === call.verb &&
  review.group === call.group &&
  review.resource === call.resource &&
  (review.name === undefined || review.name === call.name) &&
  (review.namespace === call.namespace || (review.namespace === '' && call.namespace !== undefined));

const text = (a: AccessAttributes) => `${a.verb} ${a.group || 'core'}/${a.resource}${a.name ? `/${a.name}` : ''} in ${a.namespace ?? '(cluster)'}`;

async function checksOf(d: TargetDriver, c: Case, targets: readonly ResolvedTarget[]): Promise<AccessCheck[]> {
  return d.checkAccess!(fault(c.fault) as FaultSpec, targets, { log });
}

describe('kubernetes checkAccess: the table against what the adapter calls', () => {
  for (const c of CASES) {
    it(`${c.name}: asks about exactly the calls its inject, revert and revert receipt make`, async () => {
      const d = cluster.driver(c.driver);
      const targets = await targetsOf(d, c);
      expect(targets.length).toBeGreaterThan(0);
      const from = api.requests.length;
      const handle = await d.inject(fault(c.fault) as FaultSpec, targets, ctx());
      if (c.holdMs) await sleep(c.holdMs);
      await d.revert(handle, { log });
      expect((await d.confirmReverted(handle, { log })).differences).toEqual([]);
      const calls = api.requests.slice(from).filter((r) => r.path !== SSAR_PATH).map(accessOfRequest);

      const reviewed = api.accessReviews.length;
      const checks = await checksOf(d, c, targets);
      const reviews = api.accessReviews.slice(reviewed);
      expect(checks.map((x) => x.allowed)).toEqual(reviews.map(() => true));
      expect(calls.filter((call) => !reviews.some((r) => covers(r, call))).map(text)).toEqual([]);
      expect(reviews.filter((r) => !calls.some((call) => covers(r, call))).map(text)).toEqual([]);
    });
  }
});

describe('kubernetes checkAccess: answers', () => {
  it('says each permission in RBAC terms, one review each, with the attributes on the wire', async () => {
    const d = cluster.driver();
    const drain = CASES.find((c) => c.name === 'node-drain')!;
    const from = api.requests.length;
    const checks = await checksOf(d, drain, await targetsOf(d, drain));
    expect(checks.map((c) => c.what)).toEqual(['get nodes', 'patch nodes', 'list pods in all namespaces', 'create pods/eviction in all namespaces']);
    const posts = api.requests.slice(from).filter((r) => r.path === SSAR_PATH);
    expect(posts).toHaveLength(4);
    expect(posts.every((p) => p.method === 'POST' && p.status === 201)).toBe(true);
    expect(posts.map((p) => (p.body as { kind: string; apiVersion: string }).kind)).toEqual(Array(4).fill('SelfSubjectAccessReview'));
    expect(posts.map((p) => (p.body as { spec: { resourceAttributes: unknown } }).spec.resourceAttributes)).toContainEqual({ verb: 'create', group: '', resource: 'pods', subresource: 'eviction', namespace: '' });

    const scale = CASES.find((c) => c.name === 'scale-down of a Deployment')!;
    expect((await checksOf(d, scale, await targetsOf(d, scale))).map((c) => c.what)).toEqual(['get deployments.apps in shop', 'patch deployments.apps in shop']);
    const mesh = CASES.find((c) => c.name === 'chaos-mesh HTTPChaos')!;
    expect((await checksOf(d, mesh, await targetsOf(d, mesh))).map((c) => c.what)).toEqual([
      'get customresourcedefinitions.apiextensions.k8s.io named httpchaos.chaos-mesh.org',
      'create httpchaos.chaos-mesh.org in shop',
      'delete httpchaos.chaos-mesh.org in shop',
      'get httpchaos.chaos-mesh.org in shop',
    ]);
  });

  it('deploy/rbac.yaml allows every review of every fault (creating the reviews is system:basic-user, no rule of its own)', async () => {
    api.allowAccess(rbacRules());
    try {
      for (const c of CASES) {
        const d = cluster.driver(c.driver);
        const denied = (await checksOf(d, c, await targetsOf(d, c))).filter((x) => x.allowed !== true);
        expect(denied, c.name).toEqual([]);
      }
    } finally {
      api.allowAllAccess();
    }
  });

  it('a permission the rules lack is denied, naming verb, resource and namespace; the others stay allowed', async () => {
    const rules = rbacRules().map((r) => (r.apiGroups.includes('apps') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r));
    api.allowAccess(rules);
    try {
      const d = cluster.driver();
      const scale = CASES.find((c) => c.name === 'scale-down of a Deployment')!;
      expect(await checksOf(d, scale, await targetsOf(d, scale))).toEqual([
        { what: 'get deployments.apps in shop', allowed: true, reason: 'stand-in: allowed by its rules' },
        { what: 'patch deployments.apps in shop', allowed: false, reason: 'no RBAC rule allows it' },
      ]);
      // Granted in another namespace only (a RoleBinding there): still denied here.
      api.allowAccess([...rbacRules().filter((r) => !r.resources.includes('pods')), { apiGroups: [''], resources: ['pods'], verbs: ['delete'], namespaces: ['other'] }]);
      const kill = CASES.find((c) => c.name === 'pod-delete')!;
      expect((await checksOf(d, kill, await targetsOf(d, kill))).map((c) => [c.what, c.allowed])).toEqual([['delete pods in shop', false]]);
    } finally {
      api.allowAllAccess();
    }
  });

  it('a review the API server refuses to answer is not checkable, never allowed', async () => {
    const d = cluster.driver();
    const scale = CASES.find((c) => c.name === 'scale-down of a Deployment')!;
    const targets = await targetsOf(d, scale);
    api.failNext({ method: 'POST', pathIncludes: 'selfsubjectaccessreviews' }, 403, 2);
    const checks = await checksOf(d, scale, targets);
    expect(checks.map((c) => c.allowed)).toEqual([null, null]);
    expect(checks[0]?.reason).toMatch(/did not answer the SelfSubjectAccessReview \(HTTP 403: forbidden/);
  });

  it('an unknown fault type or bad parameters are refused as the playbook\'s fault', async () => {
    const d = cluster.driver();
    const targets = await targetsOf(d, CASES[0]!);
    await expect(d.checkAccess!({ type: 'no-such', parameters: {}, duration: 60_000 } as FaultSpec, targets, { log })).rejects.toMatchObject({ code: 'playbook_invalid' });
    await expect(d.checkAccess!({ type: 'scale-down', parameters: {}, duration: 60_000 } as FaultSpec, targets, { log })).rejects.toMatchObject({ code: 'playbook_invalid' });
  });
});
