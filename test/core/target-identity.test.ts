import { describe, expect, it } from 'vitest';
import { checkOrgLimits } from '../../src/core/blast-radius.js';
import { targetLine } from '../../src/core/experiment-card.js';
import { checkLadder, historyByScope, scopeOf, targetScope, type PastRun } from '../../src/core/ladder.js';
import type { Plan } from '../../src/core/experiment.js';
import type { ResolvedTarget } from '../../src/core/ports.js';
import { heldIdentities, overlapsOf, scopeOfPlan, targetIdentity } from '../../src/core/target-identity.js';
import { makePlan } from './fixtures.js';

/** Targets compared as targets: resolved identities for the one-per-target rule, adapter scopes for the ladder and history. */

const kube = (id: string, extra: Partial<ResolvedTarget> = {}, cluster = 'prod'): ResolvedTarget => ({
  id,
  name: id.split('/').pop()!,
  kind: id.split('/')[0]!,
  attributes: { cluster, ...(id.split('/').length === 3 ? { namespace: id.split('/')[1]! } : {}) },
  ...extra,
});

const kubePlan = (targets: ResolvedTarget[], over: Partial<Plan> = {}): Plan => makePlan({ adapter: 'kubernetes', selector: {}, targets, candidates: targets.length, ...over });

const scaleWeb = kubePlan([kube('deployment/shop/web')], { fault: { type: 'scale-down', parameters: { replicas: 0 } }, scope: { cluster: 'prod', namespace: 'shop', kind: 'deployment', selection: 'name=web' } });
const drainA1 = kubePlan([kube('node/node-a1')], { fault: { type: 'node-drain', parameters: {} }, scope: { cluster: 'prod', kind: 'node', selection: 'zone=zone-a' } });
const podOnA1 = kube('pod/shop/web-7f9c-x1', { within: ['node/node-a1', 'deployment/shop/web'] });
const podOnB1 = kube('pod/shop/cart-55d-y2', { within: ['node/node-b1', 'deployment/shop/cart'] });

const limits = (running: Array<{ id: string; plan: Plan }>) => ({ halted: null, maxConcurrent: 10, running: running.map((r) => ({ id: r.id, targetIds: heldIdentities(r.plan) })) });
const refusal = (fn: () => void): { code?: string; message: string } | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as { code?: string; message: string };
  }
};

describe('target identities', () => {
  it('name adapter, cluster and the adapter id (kind, namespace, name); processes by replica id', () => {
    expect(targetIdentity('kubernetes', kube('deployment/shop/web'))).toBe('kubernetes:prod:deployment/shop/web');
    expect(targetIdentity('process', { id: 'checkout-2', attributes: { service: 'checkout', replica: '2' } })).toBe('process:checkout-2');
    expect(heldIdentities(kubePlan([podOnA1]))).toEqual([
      'kubernetes:prod:pod/shop/web-7f9c-x1',
      'kubernetes:prod:node/node-a1>pod/shop/web-7f9c-x1',
      'kubernetes:prod:deployment/shop/web>pod/shop/web-7f9c-x1',
    ]);
  });

  it('a zone-a node drain and an unrelated shop/web scale-down run side by side (both with an empty selector)', () => {
    expect(scopeOf(scaleWeb)).toBe(scopeOf(drainA1)); // the old rule compared this text: "kubernetes:*"
    expect(refusal(() => checkOrgLimits('exp-drain', heldIdentities(drainA1), limits([{ id: 'exp-scale', plan: scaleWeb }])))).toBeUndefined();
  });

  it('the same object is the same target, and the overlap is named', () => {
    const err = refusal(() => checkOrgLimits('exp-2', heldIdentities(scaleWeb), limits([{ id: 'exp-1', plan: scaleWeb }])));
    expect(err?.code).toBe('target_busy');
    expect(err?.message).toBe('kubernetes:prod:deployment/shop/web already under experiment exp-1; one experiment per target at a time');
  });

  it('a node fault overlaps a pod fault on a pod of that node, and a workload fault a pod of that workload', () => {
    const podDelete = kubePlan([podOnA1], { fault: { type: 'pod-delete', parameters: {} } });
    const onNode = refusal(() => checkOrgLimits('exp-pods', heldIdentities(podDelete), limits([{ id: 'exp-drain', plan: drainA1 }])));
    expect(onNode?.message).toBe('kubernetes:prod:pod/shop/web-7f9c-x1 in kubernetes:prod:node/node-a1 already under experiment exp-drain; one experiment per target at a time');
    const inWorkload = refusal(() => checkOrgLimits('exp-scale', heldIdentities(scaleWeb), limits([{ id: 'exp-pods', plan: podDelete }])));
    expect(inWorkload?.message).toContain('kubernetes:prod:pod/shop/web-7f9c-x1 in kubernetes:prod:deployment/shop/web');
    // a pod of another node and another workload is unrelated
    expect(refusal(() => checkOrgLimits('exp-cart', heldIdentities(kubePlan([podOnB1])), limits([{ id: 'exp-drain', plan: drainA1 }, { id: 'exp-scale', plan: scaleWeb }])))).toBeUndefined();
  });

  it('two pods of one node do not overlap; the same name in another cluster is another target', () => {
    const sibling = kube('pod/shop/web-7f9c-x2', { within: ['node/node-a1', 'deployment/shop/web'] });
    expect(overlapsOf(heldIdentities(kubePlan([podOnA1])), heldIdentities(kubePlan([sibling])))).toEqual([]);
    const staging = kubePlan([kube('deployment/shop/web', {}, 'staging')]);
    expect(overlapsOf(heldIdentities(scaleWeb), heldIdentities(staging))).toEqual([]);
  });

  it('plain ids (plans of adapters without clusters) still collide on the same id only', () => {
    expect(overlapsOf(['process:checkout-1', 'process:checkout-2'], ['process:checkout-2'])).toEqual([{ object: 'process:checkout-2', text: 'process:checkout-2' }]);
    expect(overlapsOf(['process:checkout-1'], ['process:checkout-10'])).toEqual([]);
  });
});

describe('target scopes for the ladder and the history', () => {
  const DAY = 86_400_000;
  const now = 100 * DAY;
  const past = (plan: Plan, over: Partial<PastRun> = {}): PastRun => ({
    id: 'exp-old',
    scope: targetScope(plan),
    faultType: plan.fault.type,
    blastRadius: 'one',
    targets: 1,
    candidates: 4,
    verdict: 'held',
    state: 'completed',
    endedAt: now - DAY,
    ...over,
  });

  it('say cluster, namespace, kind and which ones', () => {
    expect(targetScope(scaleWeb)).toBe('kubernetes:prod/shop deployment name=web');
    expect(targetScope(drainA1)).toBe('kubernetes:prod node zone=zone-a');
    expect(targetScope(makePlan({ adapter: 'memory', selector: { service: 'web' } }))).toBe('memory:service=web'); // no adapter scope: the selector
  });

  it('the ladder credits a smaller run on the same target only', () => {
    const zone = (zone: string, n: number) =>
      kubePlan(
        Array.from({ length: n }, (_, i) => kube(`node/node-${zone}${i + 1}`)),
        { fault: { type: 'node-drain', parameters: {} }, scope: { cluster: 'prod', kind: 'node', selection: `zone=zone-${zone}` } },
      );
    const scaleCart = kubePlan([kube('deployment/shop/cart'), kube('deployment/shop/cart-2')], { fault: { type: 'scale-down', parameters: {} }, scope: { cluster: 'prod', namespace: 'shop', kind: 'deployment', selection: 'app=cart' } });
    expect(() => checkLadder(zone('a', 2), [past(zone('a', 1))], 30 * DAY, now)).not.toThrow();
    expect(() => checkLadder(zone('a', 2), [past(zone('b', 1))], 30 * DAY, now)).toThrow(/start small: node-drain on kubernetes:prod node zone=zone-a/);
    expect(() => checkLadder(scaleCart, [past({ ...scaleWeb, fault: { type: 'scale-down', parameters: {} } })], 30 * DAY, now)).toThrow(/start small/);
  });

  it('the history keeps unrelated targets apart', () => {
    const groups = historyByScope([past(scaleWeb, { id: 'a' }), past(drainA1, { id: 'b' })]);
    expect(groups.map((g) => g.scope).sort()).toEqual(['kubernetes:prod node zone=zone-a', 'kubernetes:prod/shop deployment name=web']);
  });
});

describe('the card names cluster, namespace and kind', () => {
  it('from the adapter scope, or from the resolved targets', () => {
    expect(targetLine(scaleWeb)).toBe('kubernetes · cluster prod · namespace shop · deployment name=web · radius one');
    expect(targetLine(makePlan())).toBe('process · namespace shop · replica app=checkout · radius one');
    expect(scopeOfPlan(kubePlan([kube('pod/shop/a'), kube('pod/data/b')]))).toEqual({ cluster: 'prod', namespace: 'data,shop', kind: 'pod', selection: '(all)' });
  });
});
