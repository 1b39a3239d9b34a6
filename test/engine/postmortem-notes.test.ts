import { describe, expect, it } from 'vitest';
import { PARTIAL_NOTE } from '../../src/core/ports.js';
import { noteSentence } from '../../src/reports/postmortem/postmortem-notes.js';
import { buildTimeline } from '../../src/reports/postmortem/postmortem-timeline.js';

/** Every adapter note reads as a sentence in the post-mortem, never as raw JSON. */

const NOTES: Array<[Record<string, unknown>, string]> = [
  [{ kind: 'node-drain', nodes: [{ node: 'node-b1', wasCordoned: false }] }, 'About to drain 1 node (node-b1): cordon, then evict their pods'],
  [
    { kind: 'zone-outage', zone: 'eu-west-1a', nodes: [{ node: 'a1', wasCordoned: true }, { node: 'a2', wasCordoned: false }] },
    'About to take zone eu-west-1a out: 2 nodes (a1, a2): cordon, then evict their pods; already cordoned before: a1',
  ],
  [
    { kind: 'node-drain-evict', node: 'node-b1', pods: ['pod/shop/cart-1', 'pod/shop/web-2'], left: [{ pod: 'pod/kube-system/proxy', why: 'daemonset' }], gracePeriodSeconds: 30 },
    'Evicting 2 pods from node node-b1 with a 30 s grace period: pod/shop/cart-1, pod/shop/web-2; left on the node: pod/kube-system/proxy (daemonset)',
  ],
  [
    { kind: 'eviction-refused', pod: 'pod/shop/cart-1', node: 'node-b1', reason: "HTTP 429: Cannot evict pod as it would violate the pod's disruption budget.", budget: 'cart-pdb' },
    "Eviction of pod/shop/cart-1 on node node-b1 refused by PodDisruptionBudget cart-pdb: HTTP 429: Cannot evict pod as it would violate the pod's disruption budget.",
  ],
  [
    { kind: PARTIAL_NOTE, applied: 3, intended: 5, unit: 'pods', action: 'evicted', reason: 'PodDisruptionBudget cart-pdb', where: 'node node-b1' },
    'The fault went in only in part (node node-b1): 2 of 5 pods not evicted: PodDisruptionBudget cart-pdb',
  ],
  [{ kind: 'pod-delete', pods: ['pod/shop/a'], intervalMs: 30_000, seed: 7 }, 'Deleting 1 pod: pod/shop/a, then as many of their successors every 30s (seed 7)'],
  [{ kind: 'pod-delete-tick', tick: 2, seed: 7, namespace: 'shop', chosen: ['pod/shop/b'] }, 'Interval kill 2 in namespace shop: deleting pod/shop/b'],
  [
    { kind: 'scale-down', target: 'deployment/shop/cart', workloadKind: 'deployment', originalReplicas: 4, replicas: 2 },
    'Scaling deployment/shop/cart from 4 to 2 replicas (the original count is recorded on the object)',
  ],
  [
    { kind: 'network-partition', pods: ['pod/shop/a'], policies: [{ namespace: 'shop', name: 'faultline-fh-1', spec: { podSelector: {} } }] },
    'Partitioning 1 pod (pod/shop/a) with NetworkPolicy shop/faultline-fh-1',
  ],
  [
    { kind: 'chaos-mesh', chaosKind: 'HTTPChaos', version: 'v1alpha1', duration: '300s', resources: [{ namespace: 'shop', name: 'faultline-fh-2', spec: {} }] },
    'Creating Chaos Mesh HTTPChaos shop/faultline-fh-2 (version v1alpha1) that ends itself after 300s',
  ],
  [
    { kind: 'sandbox-fault', adminUrl: 'http://127.0.0.1:7071', type: 'latency', targets: ['checkout-1'], params: { ms: 300 }, expiresAt: Date.UTC(2025, 0, 15, 10, 5) },
    'Asking the sandbox at http://127.0.0.1:7071 for latency (ms 300) on checkout-1 until 2025-01-15T10:05:00Z',
  ],
  [{ kind: 'memory-apply', handleId: 'fh-1', targets: ['web-1', 'web-2'], nested: { deep: { deeper: 1 } } }, 'The adapter noted memory-apply: handleId fh-1; targets web-1, web-2; nested deep deeper 1'],
];

describe('adapter notes in the post-mortem', () => {
  it.each(NOTES)('%j reads as a sentence', (data, sentence) => {
    expect(noteSentence(data)).toBe(sentence);
  });

  it('the timeline shows every note as its sentence', () => {
    const at = Date.UTC(2025, 0, 15, 10, 0);
    const events = NOTES.map(([data], i) => ({ seq: i + 1, at: at + i * 1000, actor: 'faultline', kind: 'adapter-note', experimentId: 'exp-1', data }));
    const timeline = buildTimeline(events, { origin: at, actor: (a) => a, targetName: (t) => t });
    expect(timeline.map((e) => e.text)).toEqual(NOTES.map(([, s]) => s));
    expect(timeline.every((e) => !e.text.includes('{'))).toBe(true);
  });
});
