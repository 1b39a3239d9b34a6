import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultHandle, ResolvedTarget, TargetContext, TargetDriver } from '../../src/core/ports.js';
import {
  createKubeClient,
  kubernetesTargetAdapter,
  KubernetesTargetConfig,
  type KubeClient,
} from '../../src/adapters/targets/kubernetes/index.js';
import { runJanitor, type JanitorLine, type JanitorOptions } from '../../src/adapters/targets/kubernetes/janitor.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeTarget, kubeFault } from '../support/kube-adapter.js';

/**
 * The janitor's pass, in-process against the stand-in through the real client: what the bot writes on
 * each object is enough to undo it, expired handles are reverted and confirmed, and nothing else is touched.
 */

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
let client: KubeClient;
const log = new RecordingLog();
const drivers: TargetDriver[] = [];

function driver(): TargetDriver {
  const d = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig, namespace: 'shop', revertBackoff: '5ms', revertAttempts: 3 }), { log, now: Date.now });
  drivers.push(d);
  return d;
}
let seq = 0;
function ctx(expiresIn: number): TargetContext {
  seq += 1;
  return { experimentId: `exp-j${seq}`, handleId: `fh-j${seq}`, expiresAt: Date.now() + expiresIn, now: Date.now, log, note: () => {} };
}
const target = kubeTarget;
const fault = kubeFault('1m');
const meta = (o: Record<string, unknown> | undefined) => (o?.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
const spec = (o: Record<string, unknown> | undefined) => (o?.spec ?? {}) as { replicas?: number; unschedulable?: boolean };
const faultlineKeys = (o: Record<string, unknown> | undefined) => [...Object.keys(meta(o).labels ?? {}), ...Object.keys(meta(o).annotations ?? {})].filter((k) => k.startsWith('faultline.dev/'));

/** Injects through the real driver; `expiresIn` < 0 makes a fault that has already expired. */
async function inject(t: Record<string, unknown>, f: Record<string, unknown>, expiresIn: number, pick = 1): Promise<FaultHandle> {
  const d = driver();
  const targets = (await d.preview(target(t), { log })).slice(0, pick) as ResolvedTarget[];
  return d.inject(fault(f), targets, ctx(expiresIn));
}

async function janitor(over: Partial<JanitorOptions> = {}): Promise<{ lines: JanitorLine[]; ok: boolean; text: string }> {
  const lines: JanitorLine[] = [];
  const summary = await runJanitor(client, { graceMs: 0, protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'], dryRun: false, now: Date.now, policy: { attempts: 3, backoffMs: 5 }, ...over }, (l) => lines.push(l));
  return { lines, ok: summary.ok, text: lines.map((l) => `${l.action} ${l.message}`).join('\n') };
}
const of = (lines: JanitorLine[], handleId: string) => lines.filter((l) => l.handleId === handleId).map((l) => l.action);

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 20 });
  dir = mkdtempSync(join(tmpdir(), 'faultline-janitor-'));
  kubeconfig = api.writeKubeconfig(dir);
  client = createKubeClient(KubernetesTargetConfig.parse({ kubeconfig }), 'test');
  api.addNode('node-1', { labels: { pool: 'a' } });
  api.addNode('node-2', { labels: { pool: 'b' } });
  api.addNode('node-3', { labels: { pool: 'c' } });
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' }, nodeNames: ['node-1'] });
  api.addDeployment('shop', 'cart', { replicas: 4, labels: { app: 'cart' }, nodeNames: ['node-1'] });
  api.addStatefulSet('shop', 'db', { replicas: 3, labels: { app: 'db' }, nodeNames: ['node-1'] });
  api.addDeployment('kube-system', 'coredns', { replicas: 2, labels: { app: 'coredns' }, nodeNames: ['node-1'] });
  api.installChaosMesh();
});

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close?.();
  // Leave nothing behind for the next test.
  const d = driver();
  for (const h of await d.listOwned({ log })) await d.revert(h, { log });
  await d.close?.();
  drivers.splice(0);
});

afterAll(async () => {
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('what the bot records on every object it changes', () => {
  it('each fault type: both labels, the expiry and what revert needs, on every object it created or changed', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, number]> = [
      [{ kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 0 } }, 1],
      [{ kind: 'StatefulSet', name: 'db' }, { type: 'scale-down', parameters: { percent: 50 } }, 1],
      [{ nodeSelector: { pool: 'b' } }, { type: 'node-drain' }, 1],
      [{ selector: { app: 'cart' } }, { type: 'network-partition' }, 2],
      [{ selector: { app: 'cart' } }, { type: 'dns-outage' }, 1],
      [{ selector: { app: 'cart' } }, { type: 'dependency-down', parameters: { dependencySelector: { app: 'db' } } }, 1],
      [{ selector: { app: 'web' } }, { type: 'chaos-mesh', parameters: { kind: 'StressChaos', spec: { stressors: { cpu: { workers: 1 } } } } }, 1],
    ];
    for (const [t, f, pick] of cases) {
      const h = await inject(t, f, 60_000, pick);
      const objects = h.data.objects as Array<{ kind: string; namespace?: string; name: string; chaosKind?: string }>;
      expect(objects.length, String(f.type)).toBeGreaterThan(0);
      for (const o of objects) {
        const live = api.get(o.kind === 'Chaos' ? String(o.chaosKind) : o.kind, o.namespace ?? null, o.name);
        const { labels = {}, annotations = {} } = meta(live);
        const what = `${String(f.type)} ${o.kind}/${o.name}`;
        expect(labels['faultline.dev/experiment'], what).toBe(h.experimentId);
        expect(labels['faultline.dev/handle'], what).toBe(h.handleId);
        expect(annotations['faultline.dev/expires-at'], what).toBe(new Date(h.expiresAt).toISOString());
        expect(annotations['faultline.dev/fault'], what).toBe(f.type);
        if (o.kind === 'Deployment' || o.kind === 'StatefulSet') expect(Number(annotations['faultline.dev/original-replicas']), what).toBe(3);
        if (o.kind === 'Node') expect(annotations['faultline.dev/cordoned'], what).toBe('true');
      }
      await driver().revert(JSON.parse(JSON.stringify(h)) as FaultHandle, { log });
    }
  });
});

describe('a pass of the janitor', () => {
  it('reverts every expired handle from the cluster alone and confirms each one', async () => {
    const scale = await inject({ kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 0 } }, -5_000);
    const drain = await inject({ nodeSelector: { pool: 'b' } }, { type: 'node-drain' }, -5_000);
    const partition = await inject({ selector: { app: 'cart' } }, { type: 'network-partition' }, -5_000, 2);
    const chaos = await inject({ selector: { app: 'cart' } }, { type: 'chaos-mesh', parameters: { kind: 'HTTPChaos', spec: { target: 'Request', abort: true, port: 80 } } }, -5_000);
    expect(spec(api.get('deployments', 'shop', 'web')).replicas).toBe(0);

    const { lines, ok, text } = await janitor();
    expect(ok, text).toBe(true);
    for (const h of [scale, drain, partition, chaos]) expect(of(lines, h.handleId).at(-1), text).toBe('confirmed');
    expect(lines.filter((l) => l.action === 'reverted').map((l) => l.object).sort()).toEqual(
      [
        'deployment/shop/web',
        'node/node-2',
        `networkpolicy/shop/faultline-${partition.handleId}`,
        ...partition.targets.map((t) => `pod/shop/${t.name}`),
        `httpchaos.chaos-mesh.org/shop/faultline-${chaos.handleId}`,
      ].sort(),
    );
    // How long ago is the clock's, not the test's: a busy machine makes 5 s into 6.
    expect(secondsAgo(text)).toContain(`reverted deployment/shop/web (${scale.handleId}, scale-down of ${scale.experimentId}, expired Ns ago): replicas set back to 3, marks removed`);
    expect(text).toContain(`confirmed ${scale.handleId}, scale-down of ${scale.experimentId}: reverted and confirmed (1 object(s) read back as they were)`);
    expect(lines.at(-1)).toMatchObject({ action: 'summary', message: 'janitor: 4 handle(s) found, 4 expired, 4 reverted and confirmed, 0 kept, 0 object(s) skipped' });

    expect(spec(api.get('deployments', 'shop', 'web')).replicas).toBe(3);
    expect(faultlineKeys(api.get('deployments', 'shop', 'web'))).toEqual([]);
    expect(spec(api.get('nodes', null, 'node-2')).unschedulable).toBeUndefined();
    expect(faultlineKeys(api.get('nodes', null, 'node-2'))).toEqual([]);
    expect(api.list('networkpolicies')).toEqual([]);
    expect(api.list('HTTPChaos')).toEqual([]);
    for (const t of partition.targets) expect(faultlineKeys(api.get('pods', 'shop', t.name))).toEqual([]);
    expect((await janitor()).lines.map((l) => l.action)).toEqual(['summary']);
  });

  it('keeps what has not expired, and what expired within the grace', async () => {
    const later = await inject({ kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 1 } }, 90_000);
    const recent = await inject({ kind: 'Deployment', name: 'cart' }, { type: 'scale-down', parameters: { replicas: 1 } }, -2_000);
    const from = api.requests.length;
    const { lines, ok } = await janitor({ graceMs: 30_000 });
    expect(ok).toBe(true);
    expect(lines.find((l) => l.handleId === later.handleId)?.message).toMatch(new RegExp(`^${later.handleId}, scale-down of ${later.experimentId}: expires in 1m(29|30)s \\(deployment/shop/web\\)$`));
    expect(lines.find((l) => l.handleId === recent.handleId)?.message).toContain('expired 2s ago, within the 30s grace (left to the bot)');
    expect(lines.filter((l) => l.handleId !== undefined).map((l) => l.action)).toEqual(['kept', 'kept']);
    expect(api.requests.slice(from).every((r) => r.method === 'GET')).toBe(true);
    expect(spec(api.get('deployments', 'shop', 'web')).replicas).toBe(1);
    expect(spec(api.get('deployments', 'shop', 'cart')).replicas).toBe(1);
  });

  it('never touches an object without an expiry, without its original replica count, or in a protected namespace', async () => {
    const noExpiry = await inject({ kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 1 } }, -5_000);
    await client.call('drop the expiry', (a, o) => a.apps.patchNamespacedDeployment({ name: 'web', namespace: 'shop', body: { metadata: { annotations: { 'faultline.dev/expires-at': null } } } }, o), { mergePatch: true });
    const noOriginal = await inject({ kind: 'StatefulSet', name: 'db' }, { type: 'scale-down', parameters: { replicas: 1 } }, -5_000);
    await client.call('drop the count', (a, o) => a.apps.patchNamespacedStatefulSet({ name: 'db', namespace: 'shop', body: { metadata: { annotations: { 'faultline.dev/original-replicas': null } } } }, o), { mergePatch: true });
    const prot = await inject({ namespace: 'kube-system', kind: 'Deployment', name: 'coredns' }, { type: 'scale-down', parameters: { replicas: 1 } }, -5_000);
    const vault = await inject({ selector: { app: 'cart' } }, { type: 'dns-outage' }, -5_000);

    const from = api.requests.length;
    const { lines, ok, text } = await janitor({ protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease', 'shop'] });
    expect(ok, text).toBe(true);
    expect(lines.filter((l) => l.handleId !== undefined).every((l) => l.action === 'skipped'), text).toBe(true);
    expect(text).toContain(`skipped deployment/shop/web (${noExpiry.handleId}, scale-down of ${noExpiry.experimentId}): in protected namespace shop; not touched`);
    expect(text).toContain(`skipped deployment/kube-system/coredns (${prot.handleId}, scale-down of ${prot.experimentId}): in protected namespace kube-system; not touched`);
    expect(of(lines, vault.handleId)).toEqual(['skipped', 'skipped']);
    expect(api.requests.slice(from).every((r) => r.method === 'GET')).toBe(true);

    const second = await janitor();
    expect(second.text).toContain(`skipped deployment/shop/web (${noExpiry.handleId}, scale-down of ${noExpiry.experimentId}): no faultline.dev/expires-at annotation; not touched`);
    expect(second.text).toContain(`skipped statefulset/shop/db (${noOriginal.handleId}, scale-down of ${noOriginal.experimentId}): no faultline.dev/original-replicas annotation, so the replica count to restore is unknown; not touched`);
    expect(of(second.lines, prot.handleId)).toEqual(['skipped']);
    expect(of(second.lines, vault.handleId).at(-1)).toBe('confirmed');
    expect(spec(api.get('deployments', 'shop', 'web')).replicas).toBe(1);
    expect(spec(api.get('statefulsets', 'shop', 'db')).replicas).toBe(1);
    expect(spec(api.get('deployments', 'kube-system', 'coredns')).replicas).toBe(1);
    expect(second.lines.at(-1)?.message).toBe('janitor: 4 handle(s) found, 1 expired, 1 reverted and confirmed, 0 kept, 3 object(s) skipped');
  });

  it('--dry-run says what it would do and changes nothing', async () => {
    const h = await inject({ kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 0 } }, -5_000);
    const from = api.requests.length;
    const { lines } = await janitor({ dryRun: true });
    expect(lines.map((l) => [l.action, secondsAgo(l.message)])).toEqual([
      ['would-revert', `deployment/shop/web (${h.handleId}, scale-down of ${h.experimentId}, expired Ns ago): would set replicas back to 3 and remove the marks`],
      ['summary', 'janitor (dry run): 1 handle(s) found, 1 expired, 0 kept, 0 object(s) skipped'],
    ]);
    expect(api.requests.slice(from).every((r) => r.method === 'GET')).toBe(true);
    expect(spec(api.get('deployments', 'shop', 'web')).replicas).toBe(0);
  });

  it('a revert that keeps failing is reported with the kubectl that finishes it, and the pass is not ok', async () => {
    const h = await inject({ kind: 'Deployment', name: 'cart' }, { type: 'scale-down', parameters: { replicas: 1 } }, -5_000);
    const other = await inject({ nodeSelector: { pool: 'c' } }, { type: 'node-drain' }, -5_000);
    api.failNext({ method: 'PATCH', pathIncludes: '/deployments/cart' }, 500, 3);
    const { lines, ok } = await janitor();
    expect(ok).toBe(false);
    const failed = lines.find((l) => l.action === 'failed');
    expect(failed).toMatchObject({ handleId: h.handleId, object: 'deployment/shop/cart', manualSteps: [expect.stringContaining('kubectl -n shop scale deployment/cart --replicas=4')] });
    expect(failed?.message).toContain('HTTP 500');
    expect(of(lines, other.handleId).at(-1)).toBe('confirmed'); // one failure does not stop the others
    expect(lines.at(-1)?.message).toContain('1 failed');
  });

  it('a revert whose receipt cannot be had is NOT confirmed, with what to check by hand', async () => {
    const h = await inject({ selector: { app: 'cart' } }, { type: 'network-partition' }, -5_000);
    // Revert deletes the policy without reading it; only the receipt reads it back.
    api.failNext({ method: 'GET', pathIncludes: `/networkpolicies/faultline-${h.handleId}` }, 403, 1);
    const { lines, ok } = await janitor();
    expect(ok).toBe(false);
    const line = lines.find((l) => l.action === 'not-confirmed');
    expect(line).toMatchObject({ handleId: h.handleId, differences: [expect.stringMatching(new RegExp(`^networkpolicy/shop/faultline-${h.handleId}: could not read it back \\(HTTP 403`))] });
    expect(line?.message).toContain('revert NOT confirmed: ');
    expect(line?.manualSteps).toContain(`kubectl -n shop delete networkpolicy faultline-${h.handleId}`);
    expect(lines.at(-1)?.message).toContain('1 NOT confirmed');
    expect(api.list('networkpolicies')).toEqual([]);
  });

  it('a cluster that cannot be read fails the pass', async () => {
    api.failNext({ method: 'GET', pathIncludes: '/deployments?' }, 403, 1);
    await expect(janitor()).rejects.toMatchObject({ code: 'adapter_error', message: expect.stringMatching(/^could not read the cluster: HTTP 403: forbidden/) });
  });
});

/** "expired 6s ago" as "expired Ns ago": the seconds depend on how fast the machine ran the test. */
function secondsAgo(text: string): string {
  return text.replace(/expired \d+s ago/g, 'expired Ns ago');
}
