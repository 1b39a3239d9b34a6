/**
 * network-partition, dependency-down and dns-outage: the chosen pods get this handle's labels, then
 * one NetworkPolicy per namespace selects them by `faultline.dev/handle`. NetworkPolicies only
 * allow, so "deny X" is written as "allow everything but X" (see the README for the limits).
 */
import type { V1NetworkPolicyPeer, V1NetworkPolicyPort, V1NetworkPolicySpec, V1Pod } from '@kubernetes/client-node';
import { isIPv6 } from 'node:net';
import { FaultlineError } from '../../../core/errors.js';
import { byNamespace, type FaultDeps, type FaultResult, type FaultRun } from './fault-context.js';
import { statusBody, statusOf } from './kube-client.js';
import { LABEL_HANDLE, createdName, ownerAnnotations, ownerLabels } from './ownership.js';
import { mapLimit, withRetry } from './retry.js';
import type { KubernetesFaultParams } from './schema.js';
import { selectorText, targetId, type TargetRef } from './targets.js';

type NetworkFault = 'network-partition' | 'dependency-down' | 'dns-outage';
type NetworkParams = KubernetesFaultParams[NetworkFault];

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Every TCP and UDP port but `port`, as endPort ranges. */
export function allPortsExcept(port: number): V1NetworkPolicyPort[] {
  const all: Array<[number, number]> = [
    [1, port - 1],
    [port + 1, 65_535],
  ];
  const ranges = all.filter(([from, to]) => from <= to);
  return ['TCP', 'UDP'].flatMap((protocol) => ranges.map(([from, to]) => (from === to ? { protocol, port: from } : { protocol, port: from, endPort: to })));
}

/** Everything except the dependency's pods: pods of other namespaces, pods without its labels, and outside addresses but its IPs. */
export function allButDependency(depNamespace: string, selector: Record<string, string>, dependencyIps: readonly string[]): V1NetworkPolicyPeer[] {
  const v4 = dependencyIps.filter((ip) => !isIPv6(ip)).map((ip) => `${ip}/32`);
  const v6 = dependencyIps.filter((ip) => isIPv6(ip)).map((ip) => `${ip}/128`);
  return [
    { namespaceSelector: { matchExpressions: [{ key: NS_NAME_LABEL, operator: 'NotIn', values: [depNamespace] }] } },
    ...Object.entries(selector).map(([key, value]) => ({
      namespaceSelector: { matchLabels: { [NS_NAME_LABEL]: depNamespace } },
      podSelector: { matchExpressions: [{ key, operator: 'NotIn', values: [value] }] },
    })),
    // Some CNIs match ipBlock against pod IPs too: leave the dependency's own IPs out of it.
    { ipBlock: { cidr: '0.0.0.0/0', ...(v4.length > 0 ? { except: v4 } : {}) } },
    { ipBlock: { cidr: '::/0', ...(v6.length > 0 ? { except: v6 } : {}) } },
  ];
}

export function policySpec(faultType: NetworkFault, params: NetworkParams, handleId: string, targetNamespace: string, dependencyIps: readonly string[] = []): V1NetworkPolicySpec {
  const podSelector = { matchLabels: { [LABEL_HANDLE]: handleId } };
  if (faultType === 'network-partition') {
    const direction = (params as KubernetesFaultParams['network-partition']).direction;
    const ingress = direction !== 'egress';
    const egress = direction !== 'ingress';
    return { podSelector, policyTypes: [...(ingress ? ['Ingress'] : []), ...(egress ? ['Egress'] : [])], ...(ingress ? { ingress: [] } : {}), ...(egress ? { egress: [] } : {}) };
  }
  if (faultType === 'dns-outage') return { podSelector, policyTypes: ['Egress'], egress: [{ ports: allPortsExcept(53) }] };
  const dep = params as KubernetesFaultParams['dependency-down'];
  const peers = allButDependency(dep.dependencyNamespace ?? targetNamespace, dep.dependencySelector, dependencyIps);
  const egress =
    dep.port === undefined
      ? [{ to: peers }]
      : [
          { ports: allPortsExcept(dep.port) },
          {
            to: peers,
            ports: [
              { protocol: 'TCP', port: dep.port },
              { protocol: 'UDP', port: dep.port },
            ],
          },
        ];
  return { podSelector, policyTypes: ['Egress'], egress };
}

async function labelPod(run: FaultRun<unknown>, deps: FaultDeps, ref: TargetRef): Promise<'labelled' | 'missing'> {
  const { ctx } = run;
  const name = ref.name;
  const namespace = ref.namespace ?? '';
  return withRetry(`label ${targetId(ref)}`, deps.policy, deps.log, ctx.signal, async () => {
    let pod: V1Pod;
    try {
      pod = await deps.client.call(`get ${targetId(ref)}`, (a, o) => a.core.readNamespacedPod({ name, namespace }, o), { signal: ctx.signal });
    } catch (err) {
      if (statusOf(err) === 404) return 'missing';
      throw err;
    }
    const holder = pod.metadata?.labels?.[LABEL_HANDLE];
    if (holder === ctx.handleId) return 'labelled';
    if (holder !== undefined) throw new FaultlineError('inject_failed', `${targetId(ref)} is already under fault ${holder}; revert that first`, { holder });
    const body = { metadata: { labels: ownerLabels(ctx), annotations: ownerAnnotations(ctx, run.faultType) } };
    await deps.client.call(`label ${targetId(ref)}`, (a, o) => a.core.patchNamespacedPod({ name, namespace, body }, o), { signal: ctx.signal, mergePatch: true });
    return 'labelled';
  });
}

async function dependencyIps(run: FaultRun<KubernetesFaultParams['dependency-down']>, deps: FaultDeps, targetNamespace: string): Promise<string[]> {
  const namespace = run.params.dependencyNamespace ?? targetNamespace;
  const pods = await deps.client.listAll<V1Pod>(
    `list dependency pods in ${namespace}`,
    (a, q, o) => a.core.listNamespacedPod({ namespace, labelSelector: selectorText(run.params.dependencySelector), ...q }, o),
    { signal: run.ctx.signal },
  );
  return [...new Set(pods.flatMap((p) => [p.status?.podIP, ...(p.status?.podIPs ?? []).map((x) => x.ip)]).filter((ip): ip is string => typeof ip === 'string' && ip !== ''))].sort();
}

export async function injectNetworkFault(run: FaultRun<NetworkParams>, deps: FaultDeps): Promise<FaultResult> {
  const { ctx } = run;
  const faultType = run.faultType as NetworkFault;
  const groups = byNamespace(run.refs);
  const namespaces = [...groups.keys()];
  const plans = await Promise.all(
    namespaces.map(async (namespace) => {
      const ips = faultType === 'dependency-down' ? await dependencyIps(run as FaultRun<KubernetesFaultParams['dependency-down']>, deps, namespace) : [];
      return { namespace, name: createdName(ctx.handleId, namespace, namespaces), spec: policySpec(faultType, run.params, ctx.handleId, namespace, ips) };
    }),
  );
  ctx.note(faultType, { pods: run.refs.map(targetId), policies: plans.map((p) => ({ namespace: p.namespace, name: p.name, spec: p.spec })) });

  const labelled: string[] = [];
  const missing: string[] = [];
  await mapLimit(run.refs, 8, async (ref) => {
    const result = await labelPod(run, deps, ref);
    if (result === 'labelled') {
      run.applied.push({ kind: 'Pod', namespace: ref.namespace ?? '', name: ref.name });
      labelled.push(targetId(ref));
    } else missing.push(targetId(ref));
  });
  if (labelled.length === 0) throw new FaultlineError('inject_failed', `none of the selected pods exists any more (${missing.join(', ')})`, { missing });

  for (const p of plans) {
    const body = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: p.name, namespace: p.namespace, labels: ownerLabels(ctx), annotations: ownerAnnotations(ctx, faultType) }, spec: p.spec };
    await withRetry(`create networkpolicy/${p.namespace}/${p.name}`, deps.policy, deps.log, ctx.signal, async () => {
      try {
        await deps.client.call(`create networkpolicy/${p.namespace}/${p.name}`, (a, o) => a.net.createNamespacedNetworkPolicy({ namespace: p.namespace, body }, o), { signal: ctx.signal });
      } catch (err) {
        // 409 AlreadyExists: an earlier try whose answer was lost created it (the name holds the handle id).
        if (statusOf(err) === 409 && statusBody(err)?.reason === 'AlreadyExists') return;
        throw err;
      }
    });
    run.applied.push({ kind: 'NetworkPolicy', namespace: p.namespace, name: p.name });
  }
  labelled.sort();
  ctx.log.info({ handleId: ctx.handleId, policies: plans.map((p) => `${p.namespace}/${p.name}`), pods: labelled.length }, 'network policy applied');
  return { policies: plans.map((p) => `networkpolicy/${p.namespace}/${p.name}`), labelled, missing };
}
