import { describe, expect, it } from 'vitest';
import { AWS_FAULT_TYPES } from '../../src/adapters/targets/aws/schema.js';
import { KUBERNETES_FAULT_TYPES } from '../../src/adapters/targets/kubernetes/schema.js';
import type { Plan } from '../../src/core/experiment.js';
import { comparisonWords, faultSentence, spokenDuration, targetWords } from '../../src/core/fault-sentence.js';
import type { ResolvedTarget } from '../../src/core/ports.js';
import { SANDBOX_FAULT_TYPES } from '../../src/sandbox/fault-spec.js';
import { makePlan } from './fixtures.js';

const many = (n: number, make: (i: number) => ResolvedTarget) => Array.from({ length: n }, (_, i) => make(i + 1));
const replicas = (n: number, candidates: number): Partial<Plan> => ({
  adapter: 'process',
  selector: { service: 'checkout' },
  candidates,
  targets: many(n, (i) => ({ id: `checkout-${i}`, name: `checkout-${i}`, kind: 'replica', attributes: { service: 'checkout', replica: String(i) } })),
});
const pods = (n: number, candidates: number): Partial<Plan> => ({
  adapter: 'kubernetes',
  selector: { app: 'checkout' },
  candidates,
  scope: { cluster: 'prod', namespace: 'shop', kind: 'pod', selection: 'app=checkout' },
  targets: many(n, (i) => ({ id: `pod/shop/checkout-${i}`, name: `checkout-${i}`, kind: 'pod', attributes: { app: 'checkout', namespace: 'shop', cluster: 'prod' } })),
});
const cart: Partial<Plan> = {
  adapter: 'kubernetes',
  selector: {},
  candidates: 1,
  scope: { cluster: 'prod', namespace: 'shop', kind: 'deployment', selection: 'name=cart' },
  targets: [{ id: 'deployment/shop/cart', name: 'cart', kind: 'deployment', attributes: { namespace: 'shop', cluster: 'prod', replicas: '4' } }],
};
const nodes = (n: number, candidates: number, selection: string): Partial<Plan> => ({
  adapter: 'kubernetes',
  selector: {},
  candidates,
  scope: { cluster: 'prod', kind: 'node', selection },
  targets: many(n, (i) => ({ id: `node/node-${i}`, name: `node-${i}`, kind: 'node', attributes: { zone: 'eu-west-1a', cluster: 'prod' } })),
});
const instances = (n: number, candidates: number, selection: string): Partial<Plan> => ({
  adapter: 'aws',
  selector: { app: 'web' },
  candidates,
  scope: { kind: 'instance', selection },
  targets: many(n, (i) => ({ id: `aws:eu-west-1:i-${i}`, name: `web-a${i}`, kind: 'instance', attributes: { app: 'web', zone: 'eu-west-1a', region: 'eu-west-1' } })),
});
const fisTemplate: Partial<Plan> = {
  adapter: 'aws',
  selector: {},
  candidates: 1,
  blastRadius: 'all',
  scope: { kind: 'fis-template', selection: 'EXT1a2b3c in eu-west-1' },
  targets: [{ id: 'fis:eu-west-1:EXT1a2b3c', name: 'EXT1a2b3c (cpu stress)', kind: 'fis-template', attributes: { region: 'eu-west-1', templateId: 'EXT1a2b3c' } }],
};
const subnets: Partial<Plan> = {
  adapter: 'aws',
  selector: {},
  candidates: 3,
  blastRadius: 'all',
  scope: { kind: 'fis-targets', selection: 'app-subnets in eu-west-1' },
  targets: many(3, (i) => ({ id: `fis:eu-west-1:subnet-${i}`, name: `subnet-${i} (app-${i})`, kind: 'subnet', attributes: { zone: `eu-west-1${'abc'[i - 1]}` } })),
};

const fault = (where: Partial<Plan>, type: string, parameters: Record<string, unknown>, durationMs: number) => faultSentence(makePlan({ ...where, fault: { type, parameters }, durationMs }));

describe('the fault as one sentence', () => {
  it('sandbox faults: latency, http-error, blackhole, process-kill', () => {
    expect(fault(replicas(2, 3), 'http-error', { status: 503, percent: 60 }, 30_000)).toBe('60 % of requests answer 503 on 2 of 3 checkout replicas for 30 s');
    expect(fault(replicas(1, 3), 'http-error', { status: 500, percent: 100 }, 30_000)).toBe('every request answers 500 on 1 of 3 checkout replicas for 30 s');
    expect(fault(replicas(1, 3), 'latency', { ms: 300, jitterMs: 0, percent: 100 }, 60_000)).toBe('300 ms more latency on 1 of 3 checkout replicas for 1 min');
    expect(fault(replicas(1, 3), 'latency', { ms: 300, jitterMs: 50, percent: 25 }, 90_000)).toBe('300 ms more latency (± 50 ms) on 25 % of requests to 1 of 3 checkout replicas for 1 min 30 s');
    expect(fault(replicas(3, 3), 'blackhole', { percent: 100 }, 30_000)).toBe('every request hangs without an answer on all 3 checkout replicas for 30 s');
    expect(fault(replicas(1, 3), 'blackhole', { percent: 10 }, 30_000)).toBe('10 % of requests hang without an answer on 1 of 3 checkout replicas for 30 s');
    expect(fault(replicas(1, 3), 'process-kill', { count: 1 }, 30_000)).toBe('kills (SIGKILL) 1 of 3 checkout replicas, then watches for 30 s');
    expect(fault(replicas(2, 3), 'process-kill', { count: 1, intervalMs: 10_000 }, 60_000)).toBe('kills (SIGKILL) 1 of the 2 targeted checkout replicas (3 in all), again every 10 s, for 1 min');
  });

  it('kubernetes faults', () => {
    expect(fault(pods(2, 5), 'pod-delete', { gracePeriodSeconds: 10, interval: 30_000 }, 300_000)).toBe('deletes 2 of 5 checkout pods (grace period 10 s), and as many again every 30 s, for 5 min');
    expect(fault(pods(1, 5), 'pod-delete', {}, 300_000)).toBe('deletes 1 of 5 checkout pods, then watches for 5 min');
    expect(fault(cart, 'scale-down', { percent: 50 }, 600_000)).toBe('removes 50 % of the replicas of the cart deployment for 10 min');
    expect(fault(cart, 'scale-down', { replicas: 1 }, 600_000)).toBe('scales the cart deployment to 1 replica for 10 min');
    expect(fault(nodes(1, 6, 'node-pool=general'), 'node-drain', {}, 900_000)).toBe('cordons and drains 1 of 6 nodes for 15 min');
    expect(fault(nodes(2, 2, 'zone=eu-west-1a'), 'zone-outage', { zone: 'eu-west-1a' }, 1_200_000)).toBe('takes zone eu-west-1a out: cordons and drains both nodes there for 20 min');
    expect(fault(pods(1, 5), 'network-partition', { direction: 'both' }, 300_000)).toBe('cuts all traffic to and from 1 of 5 checkout pods for 5 min');
    expect(fault(pods(1, 5), 'network-partition', { direction: 'ingress' }, 300_000)).toBe('cuts the traffic into 1 of 5 checkout pods for 5 min');
    expect(fault(pods(5, 5), 'dependency-down', { dependencySelector: { app: 'payments-db' }, dependencyNamespace: 'payments', port: 5432 }, 180_000)).toBe(
      'cuts all 5 checkout pods off from the pods with app=payments-db in namespace payments (port 5432) for 3 min',
    );
    expect(fault(pods(5, 5), 'dns-outage', {}, 120_000)).toBe('DNS lookups fail on all 5 checkout pods for 2 min');
    expect(fault(pods(2, 2), 'chaos-mesh', { kind: 'HTTPChaos', spec: { target: 'Request', port: 8080, abort: true } }, 300_000)).toBe(
      'Chaos Mesh HTTPChaos (target Request, port 8080, abort true) on both checkout pods for 5 min',
    );
  });

  it('aws faults', () => {
    expect(fault(instances(1, 4, 'region=eu-west-1,app=web'), 'ec2-stop', { hibernate: false }, 600_000)).toBe('stops 1 of 4 web instances for 10 min');
    expect(fault(instances(1, 4, 'region=eu-west-1,app=web'), 'ec2-stop', { hibernate: true }, 600_000)).toBe('hibernates 1 of 4 web instances for 10 min');
    expect(fault(instances(2, 2, 'region=eu-west-1,zone=eu-west-1a,app=web'), 'zone-outage', { hibernate: false }, 900_000)).toBe('takes zone eu-west-1a out: stops both web instances there for 15 min');
    expect(fault(fisTemplate, 'fis-experiment', {}, 900_000)).toBe('runs the FIS experiment template EXT1a2b3c (cpu stress) for at most 15 min');
    const actions = { disrupt: { actionId: 'aws:network:disrupt-connectivity', parameters: { duration: 'PT2M', scope: 'all' }, targets: { Subnets: 'app-subnets' } } };
    expect(fault(subnets, 'fis-action', { roleArn: 'arn:aws:iam::123456789012:role/fis', actions }, 300_000)).toBe(
      'runs the FIS action aws:network:disrupt-connectivity (duration PT2M, scope all) on all 3 subnets for at most 5 min',
    );
  });

  it('an unknown type reads `type (key value, …)`, nested values too, never JSON', () => {
    const said = fault(replicas(1, 3), 'cpu-burn', { cores: 2, spec: { mode: 'hog', levels: [1, 2] } }, 300_000);
    expect(said).toBe('cpu-burn (cores 2, spec (mode hog, levels [1, 2])) on 1 of 3 checkout replicas for 5 min');
    expect(fault(replicas(1, 3), 'pause', {}, 30_000)).toBe('pause on 1 of 3 checkout replicas for 30 s');
    // A known type with parameters it does not take falls back the same way instead of guessing.
    expect(fault(cart, 'scale-down', { weird: 'x' }, 60_000)).toBe('scale-down (weird x) on the cart deployment for 1 min');
  });

  it('every fault type the adapters offer has its own sentence (none falls back to the generic form)', () => {
    const samples: Record<string, Record<string, unknown>> = {
      latency: { ms: 100 },
      'scale-down': { replicas: 0 },
      'zone-outage': { zone: 'eu-west-1a' },
      'dependency-down': { dependencySelector: { app: 'db' } },
      'chaos-mesh': { kind: 'NetworkChaos', spec: { action: 'delay' } },
      'fis-action': { roleArn: 'arn:aws:iam::123456789012:role/fis', actions: { a: { actionId: 'aws:fis:wait' } } },
    };
    const families: Array<[string, readonly string[], Partial<Plan>]> = [
      ['process', SANDBOX_FAULT_TYPES, replicas(1, 3)],
      ['kubernetes', KUBERNETES_FAULT_TYPES, pods(1, 3)],
      ['aws', AWS_FAULT_TYPES, instances(1, 3, 'app=web')],
    ];
    for (const [adapter, types, where] of families) {
      for (const type of types) {
        const said = fault({ ...where, adapter }, type, samples[type] ?? {}, 60_000);
        expect(said, `${adapter} ${type}`).not.toMatch(new RegExp(`^${type}\\b`));
        expect(said, `${adapter} ${type}`).not.toMatch(/[{}"]/);
      }
    }
  });
});

describe('the target, durations and comparisons in words', () => {
  it('names kind, namespace and cluster', () => {
    expect(targetWords(makePlan({ ...cart, blastRadius: 'one' }))).toBe('deployment cart in namespace shop on cluster prod · kubernetes · blast radius one');
    expect(targetWords(makePlan({ ...pods(1, 5), blastRadius: 'count:1' }))).toBe('pods with app=checkout in namespace shop on cluster prod · kubernetes · blast radius count:1');
    expect(targetWords(makePlan(nodes(2, 2, 'zone=eu-west-1a')))).toBe('all nodes in zone eu-west-1a on cluster prod · kubernetes · blast radius one');
    expect(targetWords(makePlan(instances(2, 2, 'region=eu-west-1,zone=eu-west-1a,app=web')))).toBe('instances with app=web in zone eu-west-1a (region eu-west-1) · aws · blast radius one');
    expect(targetWords(makePlan(fisTemplate))).toBe('FIS template EXT1a2b3c in eu-west-1 · aws · blast radius all');
    expect(targetWords(makePlan())).toBe('replicas with app=checkout in namespace shop · process · blast radius one');
  });

  it('durations and comparisons', () => {
    expect([300, 10_000, 60_000, 90_000, 3_900_000].map(spokenDuration)).toEqual(['300 ms', '10 s', '1 min', '1 min 30 s', '1 h 5 min']);
    expect(['>', '>=', '<', '<=', '==', '!='].map((c) => comparisonWords(c, 0.05))).toEqual(['above 0.05', 'at least 0.05', 'below 0.05', 'at most 0.05', 'exactly 0.05', 'anything but 0.05']);
  });
});
