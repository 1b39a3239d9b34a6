import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesFaultSchema, kubernetesTargetAdapter, kubernetesTargetSchema } from '../../src/adapters/targets/kubernetes/index.js';
import type { FaultHandle, ResolvedTarget, TargetSpec } from '../../src/core/ports.js';
import { closeServer, listenOn } from '../../src/lib/listen.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { BIN, ROOT, spawnBot, waitUntil, type Bot } from './harness.js';

/**
 * The dead man's switch end to end: a real bot injects a Kubernetes fault into the API stand-in and is
 * SIGKILLed; it never comes back. `faultline janitor`, a real process reading only the cluster, reverts
 * what expired from what the objects record, and leaves alone what has not expired, what is protected,
 * and everything on a dry run.
 */

let api: KubeApiStandIn;
let dir: string;
let kubeconfig: string;
let health: Server;
let healthUrl: string;
const bots: Bot[] = [];
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

type Obj = Record<string, unknown> | undefined;
const meta = (o: Obj) => (o?.metadata ?? {}) as { labels?: Record<string, string>; annotations?: Record<string, string> };
const replicas = (ns: string, name: string) => (api.get('deployments', ns, name)?.spec as { replicas?: number }).replicas;
const faultlineKeys = (o: Obj) => [...Object.keys(meta(o).labels ?? {}), ...Object.keys(meta(o).annotations ?? {})].filter((k) => k.startsWith('faultline.dev/'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function janitor(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.FAULTLINE_CONFIG;
  delete env.KUBECONFIG;
  const child = spawn(process.execPath, [BIN, 'janitor', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

const playbook = (name: string, target: Record<string, unknown>, fault: Record<string, unknown>) => ({
  kind: 'Experiment',
  name,
  title: `${name} under the janitor`,
  hypothesis: 'If the fault is injected, then the health endpoint stays healthy.',
  owner: 'team-sre',
  target: { adapter: 'kubernetes', namespace: 'shop', ...target },
  fault: { ...fault, duration: '3s' },
  guardrails: [{ name: 'error rate', signal: { source: 'http', url: healthUrl, path: 'errorRate' }, comparison: '>', threshold: 0.5, for: '5s' }],
});

/** A config for one bot: its own database, the stand-in as its cluster, a temp playbooks dir. */
function botConfig(prefix: string): string {
  const home = mkdtempSync(path.join(dir, prefix));
  const playbooks = path.join(home, 'playbooks');
  mkdirSync(playbooks);
  writeFileSync(path.join(playbooks, 'web-scale-down.yaml'), stringify(playbook('k8s-web-scale-down', { kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 0 } })));
  writeFileSync(path.join(playbooks, 'checkout-partition.yaml'), stringify(playbook('k8s-checkout-partition', { selector: { app: 'checkout' } }, { type: 'network-partition', parameters: { direction: 'both' } })));
  const file = path.join(home, 'faultline.config.yaml');
  writeFileSync(
    file,
    stringify({
      store: { path: path.join(home, 'faultline.db') },
      postmortems: { dir: path.join(home, 'postmortems') },
      playbooks: { dirs: [playbooks] },
      sandbox: { autoStart: false },
      caps: { maxPercent: 100 },
      engine: { guardrailInterval: '500ms', signalTimeout: '1s' },
      adapters: { targets: { kubernetes: { kubeconfig, namespace: 'shop' } } },
      log: { level: 'info' },
    }),
  );
  return file;
}

/** alice proposes, bob approves, alice starts; resolves once `injected()` holds, then the bot is SIGKILLed. */
async function startThenKill(configFile: string, name: string, injected: () => boolean): Promise<string> {
  const bot = spawnBot(configFile);
  bots.push(bot);
  await waitUntil('the bot to be ready', () => bot.output().includes('ready'), 30_000);
  bot.type('/as alice');
  bot.type(`/chaos propose ${name}`);
  await waitUntil('the proposal', () => /Proposed (exp-[0-9a-f]+)/.test(bot.output()));
  const id = /Proposed (exp-[0-9a-f]+)/.exec(bot.output())![1]!;
  bot.type('/as bob');
  bot.type(`/chaos approve ${id}`);
  bot.type('/as alice');
  bot.type(`/chaos start ${id}`);
  const until = Date.now() + 20_000;
  while (!injected()) {
    if (Date.now() > until) throw new Error(`the fault was not injected:\n${bot.output()}`);
    await sleep(10);
  }
  bot.child.kill('SIGKILL');
  await bot.exited;
  return id;
}

/** Waits until every expires-at on objects of `experimentId` has passed. */
async function pastExpiry(objects: Obj[]): Promise<void> {
  const expiries = objects.map((o) => Date.parse(meta(o).annotations?.['faultline.dev/expires-at'] ?? 'x'));
  expect(expiries.every(Number.isFinite)).toBe(true);
  const wait = Math.max(...expiries) - Date.now() + 50;
  if (wait > 0) await sleep(wait);
}

beforeAll(async () => {
  api = await KubeApiStandIn.start({ podStartMs: 20 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-janitor-it-'));
  kubeconfig = api.writeKubeconfig(dir);
  api.addNode('node-1');
  api.addNode('node-2');
  api.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' } });
  api.addDeployment('shop', 'checkout', { replicas: 3, labels: { app: 'checkout' } });
  api.addDeployment('shop', 'cart', { replicas: 2, labels: { app: 'cart' } });
  api.addDeployment('kube-system', 'coredns', { replicas: 2, labels: { app: 'coredns' } });
  api.addDeployment('payments', 'ledger', { replicas: 2, labels: { app: 'ledger' } });
  health = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorRate: 0 }));
  });
  healthUrl = `http://127.0.0.1:${await listenOn(health, 0, '127.0.0.1')}/health`;
});

afterEach(async () => {
  for (const b of bots.splice(0)) if (b.child.exitCode === null) b.child.kill('SIGKILL');
  const d = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig }), { log: quiet, now: Date.now });
  for (const h of await d.listOwned({ log: quiet })) await d.revert(h, { log: quiet });
});

afterAll(async () => {
  await api?.close();
  if (health) await closeServer(health);
  rmSync(dir, { recursive: true, force: true });
});

describe('faultline janitor after the bot died', () => {
  it('scale-down: the deployment is back at its replicas and carries no faultline mark', async () => {
    const id = await startThenKill(botConfig('scale-'), 'k8s-web-scale-down', () => replicas('shop', 'web') === 0);
    const web = api.get('deployments', 'shop', 'web');
    expect(meta(web).labels?.['faultline.dev/experiment']).toBe(id);
    expect(meta(web).annotations?.['faultline.dev/original-replicas']).toBe('3');
    await pastExpiry([web]);
    await sleep(1_000); // long past the point where a live bot would have reverted: nobody did
    expect(replicas('shop', 'web')).toBe(0);

    const run = await janitor('--kubeconfig', kubeconfig, '--grace', '0s');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^reverted +deployment/shop/web \\(fh-[^,]+, scale-down of ${id}, expired (\\d+m)?\\d+s ago\\): replicas set back to 3, marks removed$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^confirmed +fh-[^,]+, scale-down of ${id}: reverted and confirmed`, 'm'));
    expect(run.stdout).toContain('janitor: 1 handle(s) found, 1 expired, 1 reverted and confirmed, 0 kept, 0 object(s) skipped');
    expect(replicas('shop', 'web')).toBe(3);
    expect(faultlineKeys(api.get('deployments', 'shop', 'web'))).toEqual([]);
  }, 60_000);

  it('network-partition: the NetworkPolicy is deleted and the pod labels removed', async () => {
    const labelled = () => api.list('pods', 'shop').filter((p) => meta(p).labels?.['faultline.dev/handle'] !== undefined);
    const id = await startThenKill(botConfig('partition-'), 'k8s-checkout-partition', () => api.list('networkpolicies', 'shop').length > 0 && labelled().length > 0);
    const policy = api.list('networkpolicies', 'shop')[0];
    const pods = labelled();
    expect(pods).toHaveLength(1);
    expect(meta(policy).labels?.['faultline.dev/experiment']).toBe(id);
    await pastExpiry([policy, ...pods]);

    const run = await janitor('--kubeconfig', kubeconfig, '--grace', '0s', '--json');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { action: string; object?: string; experimentId?: string });
    expect(lines.filter((l) => l.action === 'reverted').map((l) => l.object)).toEqual([`networkpolicy/shop/${String(policy?.metadata && (policy.metadata as { name: string }).name)}`, `pod/shop/${(pods[0]!.metadata as { name: string }).name}`]);
    expect(lines.find((l) => l.action === 'confirmed')).toMatchObject({ experimentId: id });
    expect(api.list('networkpolicies')).toEqual([]);
    expect(labelled()).toEqual([]);
    for (const p of pods) expect(faultlineKeys(api.get('pods', 'shop', (p.metadata as { name: string }).name))).toEqual([]);
  }, 60_000);
});

describe('faultline janitor leaves alone', () => {
  async function inject(t: Record<string, unknown>, f: Record<string, unknown>, expiresIn: number): Promise<FaultHandle> {
    const d = kubernetesTargetAdapter.create(kubernetesTargetAdapter.configSchema.parse({ kubeconfig }), { log: quiet, now: Date.now });
    const [target] = (await d.preview(kubernetesTargetSchema.parse({ adapter: 'kubernetes', ...t }) as unknown as TargetSpec, { log: quiet })) as ResolvedTarget[];
    const n = Math.random().toString(16).slice(2, 8);
    return d.inject(kubernetesFaultSchema.parse({ duration: '1m', ...f }), [target!], { experimentId: `exp-${n}`, handleId: `fh-${n}`, expiresAt: Date.now() + expiresIn, now: Date.now, log: quiet, note: () => {} });
  }

  it('an unexpired fault, and objects in protected namespaces (the defaults, --config and --protected-namespace)', async () => {
    const live = await inject({ namespace: 'shop', kind: 'Deployment', name: 'cart' }, { type: 'scale-down', parameters: { replicas: 1 } }, 10 * 60_000);
    const system = await inject({ namespace: 'kube-system', kind: 'Deployment', name: 'coredns' }, { type: 'scale-down', parameters: { replicas: 0 } }, -60_000);
    const ledger = await inject({ namespace: 'payments', kind: 'Deployment', name: 'ledger' }, { type: 'scale-down', parameters: { replicas: 0 } }, -60_000);
    const config = path.join(dir, 'janitor.config.yaml');
    writeFileSync(config, stringify({ protected: { namespaces: ['kube-system', 'payments'] }, adapters: { targets: { kubernetes: { kubeconfig } } } }));
    const from = api.requests.length;

    const run = await janitor('--config', config, '--protected-namespace', 'vault');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^kept +${live.handleId}, scale-down of ${live.experimentId}: expires in 9m[45]\\ds \\(deployment/shop/cart\\)$`, 'm'));
    expect(run.stdout).toContain(`skipped       deployment/kube-system/coredns (${system.handleId}, scale-down of ${system.experimentId}): in protected namespace kube-system; not touched`);
    expect(run.stdout).toContain(`skipped       deployment/payments/ledger (${ledger.handleId}, scale-down of ${ledger.experimentId}): in protected namespace payments; not touched`);
    expect(run.stdout).toContain('janitor: 3 handle(s) found, 0 expired, 0 reverted and confirmed, 1 kept, 2 object(s) skipped');
    expect(api.requests.slice(from).every((r) => r.method === 'GET')).toBe(true);
    expect([replicas('shop', 'cart'), replicas('kube-system', 'coredns'), replicas('payments', 'ledger')]).toEqual([1, 0, 0]);

    // Without --config, kube-system is still protected by default; payments is not, unless named.
    const named = await janitor('--kubeconfig', kubeconfig, '--protected-namespace', 'payments', '--dry-run');
    expect(named.stdout).toContain(`deployment/payments/ledger (${ledger.handleId}, scale-down of ${ledger.experimentId}): in protected namespace payments`);
    expect(named.stdout).toContain('in protected namespace kube-system');
  }, 60_000);

  it('--dry-run prints what it would revert and changes nothing', async () => {
    const h = await inject({ namespace: 'shop', kind: 'Deployment', name: 'web' }, { type: 'scale-down', parameters: { replicas: 1 } }, -60_000);
    const from = api.requests.length;
    const run = await janitor('--kubeconfig', kubeconfig, '--dry-run');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^would-revert  deployment/shop/web \\(${h.handleId}, scale-down of ${h.experimentId}, expired 1m(\\d+s)? ago\\): would set replicas back to 3 and remove the marks$`, 'm'));
    expect(run.stdout).toContain('janitor (dry run): 1 handle(s) found, 1 expired, 0 kept, 0 object(s) skipped');
    expect(api.requests.slice(from).every((r) => r.method === 'GET')).toBe(true);
    expect(replicas('shop', 'web')).toBe(1);
    expect(meta(api.get('deployments', 'shop', 'web')).labels?.['faultline.dev/handle']).toBe(h.handleId);
  }, 60_000);

  it('exits non-zero with the reason when the cluster cannot be read', async () => {
    api.failNext({ method: 'GET', pathIncludes: '/api/v1/nodes?' }, 403, 1);
    const run = await janitor('--kubeconfig', kubeconfig);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('faultline: could not read the cluster: HTTP 403: forbidden');
  }, 60_000);
});
