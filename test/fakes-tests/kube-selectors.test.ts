import { describe, expect, it } from 'vitest';
import { applyPatch } from '../fakes/kube-patch.js';
import { BUILTIN_RESOURCES } from '../fakes/kube-resources.js';
import { matchesRequirements, parseFieldSelector, parseLabelSelector, selectorString } from '../fakes/kube-selectors.js';
import { KubeApiError } from '../fakes/kube-status.js';

const pods = BUILTIN_RESOURCES.find((t) => t.plural === 'pods');
if (!pods) throw new Error('pods type missing');

const matches = (selector: string, labels: Record<string, string>) => matchesRequirements(parseLabelSelector(selector), labels);

function statusOf(fn: () => unknown): { code: number; reason?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof KubeApiError) return e.status;
    throw e;
  }
  throw new Error('expected a KubeApiError');
}

describe('label selector syntax (apimachinery semantics)', () => {
  const web = { app: 'web', tier: 'front', 'topology.kubernetes.io/zone': 'eu-1a', rank: '3' };

  it('equality, inequality and existence', () => {
    expect(matches('app=web', web)).toBe(true);
    expect(matches('app==web', web)).toBe(true);
    expect(matches('app = web , tier = front', web)).toBe(true);
    expect(matches('app!=web', web)).toBe(false);
    expect(matches('missing!=x', web)).toBe(true); // != also matches objects without the key
    expect(matches('tier', web)).toBe(true);
    expect(matches('!tier', web)).toBe(false);
    expect(matches('!canary', web)).toBe(true);
    expect(matches('', web)).toBe(true);
  });

  it('set-based in / notin, prefixed keys, gt / lt', () => {
    expect(matches('app in (web,api)', web)).toBe(true);
    expect(matches('app in (api, worker)', web)).toBe(false);
    expect(matches('app notin (api)', web)).toBe(true);
    expect(matches('canary notin (true)', web)).toBe(true); // notin matches a missing key
    expect(matches('topology.kubernetes.io/zone in (eu-1a,eu-1b),app=web', web)).toBe(true);
    expect(matches('rank>2', web)).toBe(true);
    expect(matches('rank<3', web)).toBe(false);
  });

  it('rejects malformed selectors with a 400 Status', () => {
    for (const bad of ['app in web', 'app in ()', '=web', 'app=web,', 'app in (a,b', 'app=bad value!', 'rank>x']) {
      const s = statusOf(() => parseLabelSelector(bad));
      expect(s.code, bad).toBe(400);
      expect(s.reason, bad).toBe('BadRequest');
      expect(s.message, bad).toMatch(/unable to parse requirement/);
    }
  });

  it('prints a LabelSelector object the way Scale status.selector shows it', () => {
    expect(selectorString({ matchLabels: { app: 'web', tier: 'front' } })).toBe('app=web,tier=front');
    expect(selectorString({ matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] })).toBe('env in (a,b)');
  });
});

describe('field selectors', () => {
  it('accepts the fields pods support and = / == / !=', () => {
    expect(parseFieldSelector('spec.nodeName=n1,status.phase!=Running,metadata.name==p', pods)).toEqual([
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Running' },
      { field: 'metadata.name', op: '=', value: 'p' },
    ]);
  });

  it('rejects unknown fields the way the API server words it', () => {
    const s = statusOf(() => parseFieldSelector('spec.foo=bar', pods));
    expect(s.code).toBe(400);
    expect(s.message).toMatch(/^"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace", "spec.nodeName"/);
  });
});

describe('patch content types', () => {
  const node = { metadata: { name: 'n1', labels: { a: '1' } }, spec: { podCIDR: '10.0.0.0/24' } };

  it('JSON patch (RFC 6902): add, replace, remove, test, escaped pointers', () => {
    const out = applyPatch(node, 'application/json-patch+json', [
      { op: 'add', path: '/spec/unschedulable', value: true },
      { op: 'add', path: '/metadata/labels/topology.kubernetes.io~1zone', value: 'z1' },
      { op: 'replace', path: '/metadata/labels/a', value: '2' },
      { op: 'test', path: '/metadata/name', value: 'n1' },
      { op: 'remove', path: '/spec/podCIDR' },
    ]);
    expect(out).toEqual({ metadata: { name: 'n1', labels: { a: '2', 'topology.kubernetes.io/zone': 'z1' } }, spec: { unschedulable: true } });
    expect(node.spec).toEqual({ podCIDR: '10.0.0.0/24' }); // the input is not mutated
  });

  it('merge patch (RFC 7386) and strategic merge (merged the same way, directives dropped)', () => {
    expect(applyPatch(node, 'application/merge-patch+json', { spec: { unschedulable: true, podCIDR: null } })).toEqual({
      metadata: node.metadata,
      spec: { unschedulable: true },
    });
    expect(applyPatch(node, 'application/strategic-merge-patch+json', { $setElementOrder: 1, spec: { unschedulable: true } })).toMatchObject({ spec: { unschedulable: true } });
  });

  it('a failing test op is 422, an unknown content type 415', () => {
    expect(statusOf(() => applyPatch(node, 'application/json-patch+json', [{ op: 'test', path: '/metadata/name', value: 'x' }])).code).toBe(422);
    expect(statusOf(() => applyPatch(node, 'application/json-patch+json', [{ op: 'remove', path: '/spec/nope/deeper' }])).code).toBe(422);
    expect(statusOf(() => applyPatch(node, 'application/apply-patch+yaml', 'spec: {}')).code).toBe(415);
  });
});
