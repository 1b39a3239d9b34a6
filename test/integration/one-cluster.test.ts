import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, playbookVars, type App } from '../../src/app/compose.js';
import { readConfig } from '../../src/app/config.js';
import { createLogger } from '../../src/app/logger.js';
import { sampleAll } from '../../src/engine/guards/sample-signals.js';
import { KubeApiStandIn } from '../fakes/kube-api.js';
import { writeMultiKubeconfig } from '../fakes/kube-multi-config.js';
import { RecordingChat, messageText } from '../fakes/recording-chat.js';
import { ROOT, waitUntil } from './harness.js';

/**
 * The guardrail reads the target's cluster. One kubeconfig (KUBECONFIG) with two contexts: `prod`
 * (3 web pods) and `other` (6 web pods), current-context `other`; the config says
 * `adapters.targets.kubernetes.context: prod`, as in the README. A scale-down of shop/web to 1 in prod
 * must be watched in prod (and refuted there), not read as 6 healthy pods from the other cluster.
 */

const OPT_IN = { 'faultline.dev/chaos': 'enabled' };
const alice = { id: 'alice', name: 'Alice' };
const bob = { id: 'bob', name: 'Bob' };

const playbook = (name: string, extra: { cluster?: string; replicas: number; below: number }) => ({
  kind: 'Experiment',
  name,
  hypothesis: 'If shop/web loses replicas for a moment, then enough web pods stay Ready.',
  owner: 'team-web',
  target: { adapter: 'kubernetes', ...(extra.cluster ? { cluster: extra.cluster } : {}), namespace: 'shop', kind: 'Deployment', name: 'web', blastRadius: 'one' },
  fault: { type: 'scale-down', parameters: { replicas: extra.replicas }, duration: '3s' },
  steadyState: [{ name: 'web pods Ready', signal: { source: 'pods', namespace: 'shop', selector: { app: 'web' }, measure: 'ready-count' }, comparison: '>=', threshold: 3 }],
  guardrails: [{ name: 'web pods left Ready', signal: { source: 'pods', namespace: 'shop', selector: { app: 'web' }, measure: 'ready-count' }, comparison: '<', threshold: extra.below }],
});

let prod: KubeApiStandIn;
let other: KubeApiStandIn;
let dir: string;
let app: App;
let chat: RecordingChat;

beforeAll(async () => {
  [prod, other] = await Promise.all([KubeApiStandIn.start({ podStartMs: 20 }), KubeApiStandIn.start({ podStartMs: 20 })]);
  for (const api of [prod, other]) {
    api.addNode('node-1');
    api.addNamespace('shop', OPT_IN);
  }
  prod.addDeployment('shop', 'web', { replicas: 3, labels: { app: 'web' } });
  other.addDeployment('shop', 'web', { replicas: 6, labels: { app: 'web' } });
  dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-one-cluster-'));
  const kubeconfig = writeMultiKubeconfig(dir, { prod, other }, 'other');
  mkdirSync(path.join(dir, 'playbooks'));
  writeFileSync(path.join(dir, 'playbooks', 'web-prod.yaml'), stringify(playbook('web-scale-prod', { replicas: 1, below: 2 })));
  writeFileSync(path.join(dir, 'playbooks', 'web-other.yaml'), stringify(playbook('web-scale-other', { cluster: 'other', replicas: 2, below: 1 })));
  const file = path.join(dir, 'faultline.config.yaml');
  writeFileSync(
    file,
    stringify({
      approvers: ['bob'],
      store: { path: path.join(dir, 'faultline.db') },
      postmortems: { dir: path.join(dir, 'postmortems') },
      playbooks: { dirs: [path.join(dir, 'playbooks')] },
      engine: { guardrailInterval: '200ms', statusInterval: '200ms', postcheckTimeout: '10s', signalTimeout: '2s' },
      adapters: { targets: { kubernetes: { context: 'prod', clusters: ['other'], optInNamespaces: true, revertBackoff: '10ms' } } },
    }),
  );
  const { config } = readConfig({ file, env: { KUBECONFIG: kubeconfig }, cwd: ROOT });
  chat = new RecordingChat();
  app = await createApp({ config, chat, log: createLogger({ level: 'silent' }), vars: playbookVars(config), cwd: ROOT });
}, 60_000);

afterAll(async () => {
  await app?.shutdown('test finished');
  await Promise.all([prod?.close(), other?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('one cluster: the pods guardrail reads the cluster the target acts on', () => {
  it('takes the kubernetes target kubeconfig and context, and the card says which cluster each check reads', async () => {
    expect(app.playbookReports.filter((r) => !r.ok)).toEqual([]);
    const { record, spec } = await app.engine.experiments.propose({ playbook: 'web-scale-prod', actor: alice });
    expect(record.plan.targets.map((t) => [t.id, t.attributes.cluster, t.attributes.replicas])).toEqual([['deployment/shop/web', 'prod', '3']]);
    expect(record.plan.guardrails[0]?.signal).toBe('pods shop/app=web → ready-count in cluster prod');
    expect(spec.guardrails[0]?.signal).toMatchObject({ source: 'pods', cluster: 'prod' });
    expect(await sampleAll(app.signals, [spec.guardrails[0]!.signal], { now: Date.now }, 2000)).toMatchObject([{ status: 'ok', value: 3 }]);
  });

  it('a scale-down in prod is watched in prod: the guardrail breaks at 1 Ready pod and the run is refuted', async () => {
    const { record } = await app.engine.experiments.propose({ playbook: 'web-scale-prod', actor: alice });
    await app.engine.experiments.approve(record.id, bob);
    await app.engine.experiments.start(record.id, alice);
    await waitUntil('the run to end', () => ['completed', 'aborted', 'failed'].includes(app.engine.experiments.get(record.id).record.state), 30_000);
    await app.engine.runner.settle();
    const r = app.engine.experiments.get(record.id).record;
    expect(r).toMatchObject({ state: 'aborted', verdict: 'refuted', abort: { code: 'guardrail_breach' } });
    const readings = app.store.journal(record.id).filter((e) => e.kind === 'reading').flatMap((e) => (e.data.results as Array<{ value?: number }>).map((x) => x.value));
    expect(readings).toContain(1);
    expect(readings.every((v) => v === undefined || v <= 3)).toBe(true); // never the other cluster's 6
    expect((other.get('deployments', 'shop', 'web')?.spec as { replicas: number }).replicas).toBe(6);
    await waitUntil('prod web back to 3', () => (prod.get('deployments', 'shop', 'web')?.spec as { replicas: number }).replicas === 3, 10_000);
  }, 60_000);

  it('a playbook that names its cluster runs there, and its pods checks follow it', async () => {
    const { record, spec } = await app.engine.experiments.propose({ playbook: 'web-scale-other', actor: alice });
    expect(record.plan.targets.map((t) => t.attributes.cluster)).toEqual(['other']);
    expect(record.plan.scope).toEqual({ cluster: 'other', namespace: 'shop', kind: 'deployment', selection: 'name=web' });
    expect(record.plan.guardrails[0]?.signal).toBe('pods shop/app=web → ready-count in cluster other');
    expect(await sampleAll(app.signals, [spec.guardrails[0]!.signal], { now: Date.now }, 2000)).toMatchObject([{ status: 'ok', value: 6 }]);
    const card = messageText(app.engine.experiments.card({ record, spec, card: null }));
    expect(card).toContain('Target: deployment web in namespace shop on cluster other · kubernetes · blast radius one');
  });

  it('the post-mortem of the prod run tells the scale-down as a sentence', () => {
    const run = app.engine.experiments.list(10).find((e) => e.record.name === 'web-scale-prod' && e.record.state === 'aborted')!;
    const md = readFileSync(String(app.store.journal(run.record.id).find((e) => e.kind === 'postmortem')?.data.path), 'utf8');
    expect(md).toContain('Scaling deployment/shop/web from 3 to 1 replicas');
    expect(md).toContain('- Target: `kubernetes · cluster prod · namespace shop · deployment name=web · radius one`');
  });
});
