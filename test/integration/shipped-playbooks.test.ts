import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { Config } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { isFaultlineError } from '../../src/core/errors.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { registerCloudWatch } from '../fakes/aws/cloudwatch-service.js';
import { startAwsStandIn, TEST_CREDENTIALS, type AwsStandInHandle } from '../fakes/aws/index.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { writeMultiKubeconfig } from '../fakes/kube-multi-config.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { ROOT } from './harness.js';

/**
 * Every shipped playbook (playbooks/**), loaded with the README's example config (the `## Configuration`
 * block, as written) and proposed against the stand-ins: the Kubernetes stand-in as context `prod` for
 * kubernetes playbooks, the sandbox for process ones, the AWS stand-in (reached through the SDK's
 * environment) for aws ones. None is refused by the caps; what the start-small
 * ladder (on in that config) asks for first is the only refusal.
 */

/** The YAML block under `## Configuration` in README.md. */
export function readmeConfig(): Record<string, unknown> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no yaml block under ## Configuration');
  return parseYaml(block) as Record<string, unknown>;
}

const OPT_IN = { 'faultline.dev/chaos': 'enabled' };

/** A cluster shaped like the one the shipped playbooks describe. */
function seed(api: KubeApiStandIn): void {
  for (const zone of ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']) {
    for (const n of [1, 2]) api.addNode(`${zone}-node-${n}`, { labels: { 'topology.kubernetes.io/zone': zone, 'node-pool': 'general', ...OPT_IN } });
  }
  for (const ns of ['shop', 'orders', 'payments']) api.addNamespace(ns, OPT_IN);
  api.addDeployment('shop', 'cart', { replicas: 4, labels: { app: 'cart' } });
  api.addDeployment('shop', 'checkout', { replicas: 4, labels: { app: 'checkout' } });
  api.addPod('shop', { name: 'checkout-canary', labels: { app: 'checkout', track: 'canary' }, nodeName: 'eu-west-1b-node-1', phase: 'Running', ready: true });
  api.addDeployment('orders', 'orders-consumer', { replicas: 6, labels: { app: 'orders-consumer' } });
  api.addDeployment('payments', 'payments-db', { replicas: 2, labels: { app: 'payments-db' } });
}

/** An account shaped like the one the aws playbooks describe. */
function seedAws(aws: AwsStandInHandle): void {
  const web: string[] = [];
  for (const zone of ['eu-west-1a', 'eu-west-1b', 'eu-west-1c']) for (const n of [1, 2]) web.push(aws.world.addInstance({ zone, tags: { app: 'web', Name: `web-${zone.slice(-1)}${n}` } }).id);
  aws.world.addAsg({ name: 'web-asg', instanceIds: web });
  aws.world.addSubnet({ zone: 'eu-west-1a', tags: { tier: 'app' } });
  aws.fis.addTemplate({ description: 'checkout CPU stress', tags: { 'faultline-playbook': 'checkout-cpu-stress' } });
  registerCloudWatch(aws.standIn, { alarms: ['web-5xx', 'checkout-5xx', 'orders-5xx'].map((name) => ({ name, state: 'OK' as const })), series: [] });
}

let aws: AwsStandInHandle;
const savedEnv = { ...process.env };
let api: KubeApiStandIn;
let sandbox: Sandbox;
let dir: string;
let app: App;
const alice = { id: 'alice', name: 'Alice' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-shipped-'));
  [api, sandbox, aws] = await Promise.all([KubeApiStandIn.start({ podStartMs: 20 }), startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 0 }), startAwsStandIn()]);
  seed(api);
  seedAws(aws);
  Object.assign(process.env, { AWS_ENDPOINT_URL: aws.standIn.url, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_DISABLED: 'true' });
  const example = readmeConfig();
  const adapters = example.adapters as { targets: { process: Record<string, unknown>; kubernetes: Record<string, unknown>; aws: Record<string, unknown> } };
  const config = Config.parse({
    ...example,
    store: { path: path.join(dir, 'faultline.db') },
    postmortems: { dir: path.join(dir, 'postmortems') },
    playbooks: { ...(example.playbooks as object), dirs: [path.join(ROOT, 'playbooks')] },
    adapters: {
      ...adapters,
      targets: {
        process: { ...adapters.targets.process, adminUrl: sandbox.adminUrl },
        kubernetes: { ...adapters.targets.kubernetes, kubeconfig: writeMultiKubeconfig(dir, { prod: api }, 'prod') },
        aws: adapters.targets.aws,
      },
    },
  });
  const log = createLogger({ level: 'silent' });
  app = await createApp({ config, chat: new RecordingChat(), log, vars: playbookVars(config, sandbox), cwd: ROOT });
}, 60_000);

afterAll(async () => {
  await app?.shutdown('test finished');
  await Promise.all([api?.close(), sandbox?.stop(), aws?.close()]);
  process.env = savedEnv;
  rmSync(dir, { recursive: true, force: true });
});

describe("the shipped playbooks under the README's configuration", () => {
  it('uses the example config as written (caps, ladder, opt-in namespaces, context prod)', () => {
    expect(app.config.caps).toMatchObject({ maxTargets: 10, maxPercent: 67, ladder: { window: 720 * 3_600_000 } });
    expect(app.config.adapters.targets.kubernetes).toMatchObject({ context: 'prod', optInNamespaces: true });
    expect(app.playbookReports.filter((r) => !r.ok)).toEqual([]);
  });

  it('every experiment playbook resolves within the caps, and proposing it is refused by nothing but the ladder', async () => {
    const outcomes: Record<string, string> = {};
    for (const name of app.engine.experiments.playbookNames()) {
      const spec = app.engine.experiments.playbookSpec(name);
      const { plan } = await app.engine.experiments.planFor(spec, 7); // targets, protection and the caps; the ladder is not checked here
      expect(plan.targets.length, name).toBeGreaterThan(0);
      try {
        await app.engine.experiments.propose({ playbook: name, actor: alice });
        outcomes[name] = 'proposed';
      } catch (err) {
        expect(isFaultlineError(err, 'ladder'), `${name}: ${(err as Error).message}`).toBe(true);
        outcomes[name] = 'ladder';
      }
    }
    expect(outcomes).toEqual({
      'aws-app-subnet-disrupt': 'proposed',
      'aws-fis-cpu-stress': 'proposed',
      'aws-web-instance-stop': 'proposed',
      'aws-web-zone-outage': 'ladder',
      'checkout-errors': 'ladder',
      'checkout-latency': 'proposed',
      'checkout-prometheus': 'proposed',
      'checkout-replica-kill': 'proposed',
      'k8s-cart-scale-down': 'proposed',
      'k8s-checkout-db-down': 'ladder',
      'k8s-checkout-dns-outage': 'ladder',
      'k8s-checkout-http-abort': 'proposed',
      'k8s-checkout-network-partition': 'proposed',
      'k8s-checkout-pod-delete': 'proposed',
      'k8s-node-drain': 'proposed',
      'k8s-zone-outage': 'ladder',
      'orders-consumer-lag': 'ladder',
    });
  });

  it('the aws cards list exactly what would be hit: the zone\'s instances by Name, the template\'s actions', async () => {
    const zone = await app.engine.experiments.planFor(app.engine.experiments.playbookSpec('aws-web-zone-outage'), 7);
    expect(zone.plan.targets.map((t) => t.name).sort()).toEqual(['web-a1', 'web-a2']);
    expect(zone.plan.targets.every((t) => t.attributes.zone === 'eu-west-1a' && t.attributes.asg === 'web-asg')).toBe(true);
    const fis = await app.engine.experiments.propose({ playbook: 'aws-fis-cpu-stress', actor: alice });
    const text = app.engine.experiments.card(fis).sections.join('\n');
    expect(text).toContain('aws:fis:wait');
  });

  it('the game day proposes with all its steps', async () => {
    const { record } = await app.engine.gamedays.propose({ name: 'checkout-latency-gameday', actor: alice });
    expect(record.steps).toHaveLength(3);
  });

  it('the cards name cluster, namespace and kind, and which cluster each pods check reads', async () => {
    const cart = await app.engine.experiments.propose({ playbook: 'k8s-cart-scale-down', actor: alice });
    expect(cart.record.plan.targets.map((t) => [t.id, t.attributes.cluster])).toEqual([['deployment/shop/cart', 'prod']]);
    const card = app.engine.experiments.card(cart);
    const text = [...card.fields.map((f) => `${f.label}: ${f.value}`), ...card.sections].join('\n');
    expect(text).toContain('Target: deployment cart in namespace shop on cluster prod · kubernetes · blast radius one');
    // The card says the guardrail in words; which cluster its pods check reads is the plan's (the card's Target names it).
    expect(text).toContain('• cart pods left Ready: aborts if below 1');
    expect(cart.record.plan.guardrails.find((g) => g.name === 'cart pods left Ready')?.signal).toBe('pods shop/app=cart → ready-count in cluster prod');
    const zone = await app.engine.experiments.planFor(app.engine.experiments.playbookSpec('k8s-zone-outage'), 7);
    expect(zone.plan).toMatchObject({ candidates: 2, population: 6, scope: { cluster: 'prod', kind: 'node', selection: 'zone=eu-west-1a' } });
    const drain = await app.engine.experiments.propose({ playbook: 'k8s-node-drain', actor: alice });
    const drainCard = app.engine.experiments.card(drain).sections.join('\n');
    expect(drainCard).toMatch(/Also affected \(preview\):\n• eu-west-1\w-node-\d · /);
  });
});
