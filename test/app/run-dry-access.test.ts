import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { printDryRun } from '../../src/app/cli-run.js';
import { dryRunPlan } from '../../src/app/run-dry.js';
import type { Experiment } from '../../src/core/playbook.js';
import type { TargetDriver } from '../../src/core/ports.js';
import type { EngineSettings } from '../../src/engine/engine-deps.js';
import type { AccessRule } from '../fakes/kube-access.js';
import type { KubeApiStandIn } from '../fakes/kube-api.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { kubeFault, kubeStandIn, kubeTarget } from '../support/kube-adapter.js';

/**
 * `faultline run --dry-run` asks the target about the fault's permissions (dryRunPlan → checkAccess):
 * a Kubernetes driver against the API stand-in, whose SelfSubjectAccessReviews answer from
 * deploy/rbac.yaml's rules, with one verb taken away.
 */

const log = new RecordingLog();
const cluster = kubeStandIn({ prefix: 'faultline-dry-access-', podStartMs: 20, log, driverDefaults: { namespace: 'shop' } });
let api: KubeApiStandIn;

const settings = {
  caps: { maxTargets: 10, maxPercent: 100, maxConcurrent: 3, maxDurationMs: 3_600_000 },
  protection: { namespaces: ['kube-system'], labels: [], names: [] },
  targetTimeoutMs: 5_000,
} as unknown as EngineSettings;

const rbacRules = (): AccessRule[] =>
  (parseAllDocuments(readFileSync(new URL('../../deploy/rbac.yaml', import.meta.url), 'utf8')).map((d) => d.toJS() as { kind?: string; rules?: AccessRule[] }).find((d) => d.kind === 'ClusterRole')?.rules ?? []);

const spec = (fault: Record<string, unknown>, target: Record<string, unknown>): Experiment =>
  ({ name: 'dry', target: kubeTarget(target), fault: kubeFault('1m')(fault), guardrails: [], steadyState: [], maxUnknown: 3 }) as unknown as Experiment;

const dry = (d: TargetDriver, s: Experiment) => dryRunPlan({ targets: new Map([['kubernetes', d]]), signals: new Map(), settings }, 'dry', s, 1_000);

beforeAll(() => {
  api = cluster.api;
  api.addNode('node-1');
  api.addDeployment('shop', 'cart', { replicas: 3, labels: { app: 'cart' }, nodeNames: ['node-1'] });
});

describe('dryRunPlan: the permission check', () => {
  it('with every permission allowed: one access line per verb and resource, no problem', async () => {
    api.allowAccess(rbacRules());
    try {
      const out = await dry(cluster.driver(), spec({ type: 'scale-down', parameters: { replicas: 1 } }, { kind: 'Deployment', name: 'cart' }));
      expect(out.problems).toEqual([]);
      expect(out.lines.filter((l) => l.startsWith('access: '))).toEqual(['access: get deployments.apps in shop: allowed', 'access: patch deployments.apps in shop: allowed']);
    } finally {
      api.allowAllAccess();
    }
  });

  it('one verb denied: a problem naming the verb, the resource and the namespace, and the dry run exits 3', async () => {
    api.allowAccess(rbacRules().map((r) => (r.apiGroups.includes('apps') ? { ...r, verbs: r.verbs.filter((v) => v !== 'patch') } : r)));
    try {
      const out = await dry(cluster.driver(), spec({ type: 'scale-down', parameters: { replicas: 1 } }, { kind: 'Deployment', name: 'cart' }));
      expect(out.problems).toEqual(['access: patch deployments.apps in shop: denied (no RBAC rule allows it)']);
      expect(out.lines).toContain('access: get deployments.apps in shop: allowed');
      expect(out.lines.some((l) => l.startsWith('Fault: scale-down for 60 s on 1 of 1 candidates'))).toBe(true);

      const written: string[] = [];
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      let code: number;
      try {
        code = printDryRun(out, { phase() {}, line() {}, done() {} });
      } finally {
        spy.mockRestore();
      }
      expect(code).toBe(3);
      expect(written).toContain('! access: patch deployments.apps in shop: denied (no RBAC rule allows it)\n');
      // The adapter changed nothing.
      expect((api.get('deployment', 'shop', 'cart')?.spec as { replicas?: number }).replicas).toBe(3);
    } finally {
      api.allowAllAccess();
    }
  });

  it('a permission that cannot be checked is a line, not a problem', async () => {
    api.failNext({ method: 'POST', pathIncludes: 'selfsubjectaccessreviews' }, 403, 1);
    const out = await dry(cluster.driver(), spec({ type: 'pod-delete' }, { selector: { app: 'cart' } }));
    expect(out.problems).toEqual([]);
    expect(out.lines.filter((l) => l.startsWith('access: '))).toEqual([expect.stringMatching(/^access: delete pods in shop: not checkable \(the API server did not answer the SelfSubjectAccessReview \(HTTP 403/)]);
  });

  it('a driver without checkAccess (the process sandbox) prints no access line', async () => {
    const d = cluster.driver();
    const bare: TargetDriver = { ...d, checkAccess: undefined };
    const out = await dry(bare, spec({ type: 'pod-delete' }, { selector: { app: 'cart' } }));
    expect(out.problems).toEqual([]);
    expect(out.lines.some((l) => l.startsWith('access: '))).toBe(false);
  });

  it('a permission check that gives no answer in time is a problem, through the deadline of every adapter call', async () => {
    const d = cluster.driver();
    const hung: TargetDriver = { ...d, checkAccess: () => new Promise(() => {}) };
    const out = await dryRunPlan({ targets: new Map([['kubernetes', hung]]), signals: new Map(), settings: { ...settings, targetTimeoutMs: 50 } }, 'dry', spec({ type: 'pod-delete' }, { selector: { app: 'cart' } }), 1_000);
    expect(out.problems).toEqual(['access: could not check the permissions: permission check on kubernetes gave no answer within 50 ms [adapter_error]']);
  });
});
