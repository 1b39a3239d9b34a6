/**
 * The revert receipt: every object a handle held is read back from the API server (never from the
 * journal) and compared with what it was before the fault. Workloads run their recorded replica
 * count, nodes Faultline cordoned are schedulable, policies and Chaos Mesh resources are gone, and
 * nothing carries this handle's marks any more. A read that fails is not a confirmation.
 */
import type { AdapterLogger, RevertReceipt } from '../../../core/ports.js';
import { describeKubeError, statusOf, type KubeClient } from './kube-client.js';
import { ANN_CORDONED, LABEL_HANDLE, kubectlUndo, objectRef, type OwnedObject } from './ownership.js';
import { mapLimit, withRetry, type RetryPolicy } from './retry.js';

const READ_CONCURRENCY = 8;

interface ReadBack {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: object;
}

async function readBack(client: KubeClient, o: OwnedObject, signal?: AbortSignal): Promise<ReadBack | 'gone'> {
  const what = `read back ${objectRef(o)}`;
  const opts = { signal };
  try {
    switch (o.kind) {
      case 'Pod':
        return await client.call(what, (a, opt) => a.core.readNamespacedPod({ name: o.name, namespace: o.namespace }, opt), opts);
      case 'Deployment':
        return await client.call(what, (a, opt) => a.apps.readNamespacedDeployment({ name: o.name, namespace: o.namespace }, opt), opts);
      case 'StatefulSet':
        return await client.call(what, (a, opt) => a.apps.readNamespacedStatefulSet({ name: o.name, namespace: o.namespace }, opt), opts);
      case 'Node':
        return await client.call(what, (a, opt) => a.core.readNode({ name: o.name }, opt), opts);
      case 'NetworkPolicy':
        return await client.call(what, (a, opt) => a.net.readNamespacedNetworkPolicy({ name: o.name, namespace: o.namespace }, opt), opts);
      case 'Chaos':
        return (await client.call(
          what,
          (a, opt) => a.custom.getNamespacedCustomObject({ group: 'chaos-mesh.org', version: o.version, namespace: o.namespace, plural: o.plural, name: o.name }, opt),
          opts,
        )) as ReadBack;
    }
  } catch (err) {
    if (statusOf(err) === 404) return 'gone';
    throw err;
  }
}

/** What is not as it was about one object, as plain sentences (empty: back as it was). */
export function differencesOf(handleId: string, o: OwnedObject, current: ReadBack | 'gone'): string[] {
  const ref = objectRef(o);
  if (current === 'gone') {
    // Gone is the goal for what Faultline created, and harmless for pods (their controllers replace them) and
    // nodes (a removed node is cordoned by nobody). A workload that vanished has not got its replicas back.
    return o.kind === 'Deployment' || o.kind === 'StatefulSet' ? [`${ref}: no longer exists, expected ${o.originalReplicas} replicas`] : [];
  }
  const spec = (current.spec ?? {}) as { replicas?: number; unschedulable?: boolean };
  const labels = current.metadata?.labels ?? {};
  const annotations = current.metadata?.annotations ?? {};
  const marked = labels[LABEL_HANDLE] === handleId;
  const out: string[] = [];
  switch (o.kind) {
    case 'NetworkPolicy':
    case 'Chaos':
      return [`${ref}: still exists, expected it deleted`];
    case 'Deployment':
    case 'StatefulSet': {
      const replicas = spec.replicas ?? 1;
      if (replicas !== o.originalReplicas) {
        const holder = labels[LABEL_HANDLE];
        const under = holder !== undefined && holder !== handleId ? ` (now under fault ${holder})` : '';
        out.push(`${ref}: ${replicas} replicas, expected ${o.originalReplicas}${under}`);
      }
      break;
    }
    case 'Node':
      if (spec.unschedulable === true) out.push(`${ref}: still cordoned (unschedulable), expected schedulable`);
      // Another fault's cordon mark is that fault's business; ours (or an orphaned one) is not undone.
      if (annotations[ANN_CORDONED] !== undefined && (marked || labels[LABEL_HANDLE] === undefined)) out.push(`${ref}: still carries ${ANN_CORDONED}`);
      break;
    case 'Pod':
      break;
  }
  if (marked) out.push(`${ref}: still labelled ${LABEL_HANDLE}=${handleId}`);
  return out;
}

export interface ConfirmDeps {
  client: KubeClient;
  policy: RetryPolicy;
  log: AdapterLogger;
}

/**
 * Reads every object back and says whether the handle's change is undone. Transient API errors are
 * retried like a revert; one that persists (or a 403) makes the receipt unconfirmed, naming the error.
 */
export async function confirmObjects(handleId: string, objects: readonly OwnedObject[], deps: ConfirmDeps, signal?: AbortSignal): Promise<RevertReceipt> {
  const perObject = await mapLimit(objects, READ_CONCURRENCY, async (o) => {
    try {
      const current = await withRetry(`read back ${objectRef(o)}`, deps.policy, deps.log, signal, () => readBack(deps.client, o, signal));
      return { o, differences: differencesOf(handleId, o, current) };
    } catch (err) {
      return { o, differences: [`${objectRef(o)}: could not read it back (${describeKubeError(err)}), so the revert is not confirmed`] };
    }
  });
  const differences = perObject.flatMap((r) => r.differences);
  const manualSteps = perObject.filter((r) => r.differences.length > 0).map((r) => kubectlUndo(r.o));
  if (manualSteps.length > 0) manualSteps.push(`kubectl get deploy,sts,pods,networkpolicies,nodes -A -l ${LABEL_HANDLE}=${handleId}`);
  return { confirmed: differences.length === 0, differences, manualSteps };
}
