import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultHandle, ResolvedTarget, TargetDriver, TargetSpec } from '../../src/core/ports.js';
import { createKubeClient, kubernetesFaultSchema, kubernetesTargetAdapter, kubernetesTargetSchema, KubernetesTargetConfig } from '../../src/adapters/targets/kubernetes/index.js';
import { runJanitor } from '../../src/adapters/targets/kubernetes/janitor.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import type { KubeRequestRecord } from '../fakes/kube-types.js';

/**
 * deploy/janitor.yaml grants exactly the calls a janitor pass makes (every rule used, nothing missing),
 * recorded by the stand-in while it reverts one fault of every kind; and deploy/rbac.yaml still covers
 * everything the bot does, now including the revert receipt's reads.
 */

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Access {
  group: string;
  resource: string;
  verb: string;
  name?: string;
}

type Doc = { kind?: string; metadata?: { name?: string; namespace?: string }; [k: string]: unknown };
const docs = (file: string) => parseAllDocuments(readFileSync(new URL(`../../deploy/${file}`, import.meta.url), 'utf8')).map((d) => d.toJS() as Doc);
const rulesOf = (file: string) => (docs(file).find((d) => d.kind === 'ClusterRole') as unknown as { rules: Rule[] }).rules;

/** What RBAC sees in a request: API group, resource (with subresource), verb and object name. */
function accessOf(r: KubeRequestRecord): Access {
  const parts = r.path.split('/').filter(Boolean);
  const [group, rest] = parts[0] === 'api' ? ['', parts.slice(2)] : [parts[1] ?? '', parts.slice(3)];
  const [resource = '', name, sub] = rest[0] === 'namespaces' && rest.length >= 3 ? rest.slice(2) : rest;
  const collection = { GET: r.query.watch === 'true' ? 'watch' : 'list', POST: 'create', DELETE: 'deletecollection' } as Record<string, string>;
  const item = { GET: 'get', PATCH: 'patch', PUT: 'update', DELETE: 'delete', POST: 'create' } as Record<string, string>;
  const verb = (name === undefined ? collection[r.method] : item[r.method]) ?? r.method;
  return { group, resource: sub ? `${resource}/${sub}` : resource, verb, ...(name !== undefined ? { name } : {}) };
}

const allows = (rule: Rule, a: Access) =>
  rule.apiGroups.includes(a.group) && rule.resources.includes(a.resource) && rule.verbs.includes(a.verb) && (rule.resourceNames === undefined || (a.name !== undefined && rule.resourceNames.includes(a.name)));
const key = (a: Access) => `${a.group || 'core'}/${a.resource}:${a.verb}`;

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;

function driver(): TargetDriver {
  return kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig, namespace: 'shop', revertBackoff: '5ms' }), { log: { debug() {}, info() {}, warn() {}, error() {} }, now: Date.now });
}
const log = { debug() {}, info() {}, warn() {}, error() {} };
let n = 0;
async function inject(d: TargetDriver, t: Record<string, unknown>, f: Record<string, unknown>, expiresIn = -5_000): Promise<FaultHandle> {
  const targets = (await d.preview(kubernetesTargetSchema.parse({ adapter: 'kubernetes', ...t }) as unknown as TargetSpec, { log })).slice(0, 1) as ResolvedTarget[];
  n += 1;
  return d.inject(kubernetesFaultSchema.parse({ duration: '1m', ...f }), targets, { experimentId: `exp-r${n}`, handleId: `fh-r${n}`, expiresAt: Date.now() + expiresIn, now: Date.now, log, note: () => {} });
}
const chaos = (kind: string, spec: Record<string, unknown>) => ({ type: 'chaos-mesh', parameters: { kind, spec } });

/** One fault of every kind the janitor can meet. */
async function seed(d: TargetDriver): Promise<FaultHandle[]> {
  return [
    await inject(d, { kind: 'Deployment', name: 'api' }, { type: 'scale-down', parameters: { replicas: 0 } }),
    await inject(d, { kind: 'StatefulSet', name: 'db' }, { type: 'scale-down', parameters: { replicas: 1 } }),
    await inject(d, { nodeSelector: { pool: 'b' } }, { type: 'node-drain' }),
    await inject(d, { selector: { app: 'web' } }, { type: 'network-partition' }),
    await inject(d, { selector: { app: 'web' } }, chaos('NetworkChaos', { action: 'delay', delay: { latency: '50ms' } })),
    await inject(d, { selector: { app: 'web' } }, chaos('HTTPChaos', { target: 'Request', abort: true, port: 80 })),
    await inject(d, { selector: { app: 'web' } }, chaos('StressChaos', { stressors: { cpu: { workers: 1 } } })),
    await inject(d, { selector: { app: 'web' } }, chaos('TimeChaos', { timeOffset: '-1h' })),
  ];
}

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'faultline-janitor-rbac-'));
  kubeconfig = api.writeKubeconfig(dir);
  api.addNode('node-1', { labels: { pool: 'a' } });
  api.addNode('node-2', { labels: { pool: 'b' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['node-1'] });
  api.addDeployment('shop', 'api', { replicas: 2, labels: { app: 'api' }, nodeNames: ['node-1'] });
  api.addStatefulSet('shop', 'db', { replicas: 2, labels: { app: 'db' }, nodeNames: ['node-1'] });
  api.installChaosMesh();
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deploy/janitor.yaml', () => {
  it('its ClusterRole grants exactly the calls of a janitor pass over every kind of fault', async () => {
    const d = driver();
    await seed(d);
    await d.close?.();
    const from = api.requests.length;
    const client = createKubeClient(KubernetesTargetConfig.parse({ kubeconfig }), 'test');
    const summary = await runJanitor(client, { graceMs: 0, protectedNamespaces: [], dryRun: false, now: Date.now, policy: { attempts: 2, backoffMs: 5 } }, () => {});
    expect(summary).toMatchObject({ ok: true, confirmed: 8 });
    const calls = api.requests.slice(from).map(accessOf);
    const rules = rulesOf('janitor.yaml');

    const denied = calls.filter((a) => !rules.some((r) => allows(r, a)));
    expect(denied).toEqual([]);
    const used = new Set(calls.map(key));
    const granted = rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => key({ group: g, resource: res, verb: v })))));
    expect(granted.filter((g) => !used.has(g))).toEqual([]);
    const crdRule = rules.find((r) => r.resources.includes('customresourcedefinitions'))!;
    expect(new Set(calls.filter((a) => a.resource === 'customresourcedefinitions').map((a) => a.name))).toEqual(new Set(crdRule.resourceNames));
    expect(calls.some((a) => a.verb === 'create' || a.verb === 'update' || a.verb === 'watch')).toBe(false);
  });

  it('is a minute CronJob that cannot pile up, as a non-root, read-only, capability-less pod of the bot image', () => {
    const all = docs('janitor.yaml');
    const cron = all.find((x) => x.kind === 'CronJob') as unknown as {
      metadata: { namespace: string };
      spec: {
        schedule: string;
        concurrencyPolicy: string;
        startingDeadlineSeconds: number;
        successfulJobsHistoryLimit: number;
        failedJobsHistoryLimit: number;
        jobTemplate: { spec: { template: { spec: { serviceAccountName: string; restartPolicy: string; securityContext: Record<string, unknown>; containers: Array<{ image: string; args: string[]; securityContext: Record<string, unknown> }> } } } };
      };
    };
    expect(cron.spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    expect(cron.spec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(cron.spec.startingDeadlineSeconds).toBeLessThan(60);
    expect(cron.spec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(cron.spec.failedJobsHistoryLimit).toBeGreaterThan(0);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe('faultline-janitor');
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number), seccompProfile: { type: 'RuntimeDefault' } });
    const [c] = pod.containers;
    expect(c?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c?.args[0]).toBe('janitor');
    const bot = docs('faultline-sqlite.yaml').find((x) => x.kind === 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    expect(c?.image).toBe(bot.spec.template.spec.containers[0]?.image);

    const sa = all.find((x) => x.kind === 'ServiceAccount');
    expect(sa?.metadata).toMatchObject({ name: 'faultline-janitor', namespace: cron.metadata.namespace });
    const binding = all.find((x) => x.kind === 'ClusterRoleBinding') as unknown as { roleRef: { kind: string; name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> };
    expect(binding.roleRef).toMatchObject({ kind: 'ClusterRole', name: all.find((x) => x.kind === 'ClusterRole')?.metadata?.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'faultline-janitor', namespace: cron.metadata.namespace }]);
  });
});

describe('deploy/rbac.yaml', () => {
  it("covers the bot's preview, inject, listOwned, revert and revert receipt of every kind of fault", async () => {
    const from = api.requests.length;
    const d = driver();
    const handles = [...(await seed(d)), await inject(d, { selector: { app: 'web' } }, { type: 'pod-delete' })];
    for (const h of await d.listOwned({ log })) await d.revert(h, { log });
    for (const h of handles) expect((await d.confirmReverted(h, { log })).differences).toEqual([]);
    await d.close?.();
    const rules = rulesOf('rbac.yaml');
    const denied = api.requests
      .slice(from)
      .map(accessOf)
      .filter((a) => !rules.some((r) => allows(r, a)));
    expect(denied).toEqual([]);
  });
});
