/**
 * Undoing what a handle holds, object by object. Each step is idempotent (404 means already gone;
 * an object no longer carrying this handle's label is not ours to touch) and retried on 5xx, 409
 * (re-read, then patch against the fresh resourceVersion) and timeouts. Whatever still fails is
 * reported with the kubectl commands that finish the job by hand.
 */
import { FaultlineError } from '../../../core/errors.js';
import type { AdapterLogger, FaultHandle } from '../../../core/ports.js';
import { describeKubeError, isTransient, statusOf, type KubeClient } from './kube-client.js';
import { ANN_CORDONED, LABEL_HANDLE, kubectlUndo, objectRef, removalMetadata, type OwnedObject } from './ownership.js';
import { withRetry, type RetryPolicy } from './retry.js';

export type RevertOutcome = 'reverted' | 'gone' | 'not-ours';

interface Meta {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string };
}

/** Chaos resources and policies go first (they are what hurts), then replicas and cordons, then pod labels. */
const ORDER: Record<OwnedObject['kind'], number> = { Chaos: 0, NetworkPolicy: 1, Deployment: 2, StatefulSet: 2, Node: 3, Pod: 4 };

export function revertOrder(objects: readonly OwnedObject[]): OwnedObject[] {
  return [...objects].sort((a, b) => ORDER[a.kind] - ORDER[b.kind]);
}

async function ignore404<T>(p: Promise<T>): Promise<T | 'gone'> {
  try {
    return await p;
  } catch (err) {
    if (statusOf(err) === 404) return 'gone';
    throw err;
  }
}

/** Reads, checks the object still carries this handle, and merge-patches against that version. */
async function patchIfOurs(
  handleId: string,
  read: (signal?: AbortSignal) => Promise<Meta | 'gone'>,
  patch: (current: Meta, body: Record<string, unknown>, signal?: AbortSignal) => Promise<unknown>,
  spec: (current: Meta) => Record<string, unknown> | undefined,
  signal?: AbortSignal,
): Promise<RevertOutcome> {
  const current = await read(signal);
  if (current === 'gone') return 'gone';
  if (current.metadata?.labels?.[LABEL_HANDLE] !== handleId) return 'not-ours';
  const s = spec(current);
  const body = { metadata: { ...removalMetadata(), resourceVersion: current.metadata?.resourceVersion }, ...(s ? { spec: s } : {}) };
  const res = await ignore404(patch(current, body, signal));
  return res === 'gone' ? 'gone' : 'reverted';
}

export async function revertObject(client: KubeClient, handleId: string, o: OwnedObject, signal?: AbortSignal): Promise<RevertOutcome> {
  const merge = { signal, mergePatch: true };
  const what = objectRef(o);
  switch (o.kind) {
    case 'Pod': {
      const { name, namespace } = o;
      return patchIfOurs(
        handleId,
        (s) => ignore404(client.call(`get ${what}`, (a, opt) => a.core.readNamespacedPod({ name, namespace }, opt), { signal: s })),
        (_c, body, s) => client.call(`patch ${what}`, (a, opt) => a.core.patchNamespacedPod({ name, namespace, body }, opt), { ...merge, signal: s }),
        () => undefined,
        signal,
      );
    }
    case 'Deployment':
    case 'StatefulSet': {
      const { name, namespace, originalReplicas } = o;
      const deployment = o.kind === 'Deployment';
      return patchIfOurs(
        handleId,
        (s) =>
          ignore404(
            client.call(`get ${what}`, (a, opt) => (deployment ? a.apps.readNamespacedDeployment({ name, namespace }, opt) : a.apps.readNamespacedStatefulSet({ name, namespace }, opt)), {
              signal: s,
            }),
          ),
        (_c, body, s) =>
          client.call(
            `patch ${what}`,
            (a, opt) => (deployment ? a.apps.patchNamespacedDeployment({ name, namespace, body }, opt) : a.apps.patchNamespacedStatefulSet({ name, namespace, body }, opt)),
            { ...merge, signal: s },
          ),
        () => ({ replicas: originalReplicas }),
        signal,
      );
    }
    case 'Node': {
      const { name } = o;
      return patchIfOurs(
        handleId,
        (s) => ignore404(client.call(`get ${what}`, (a, opt) => a.core.readNode({ name }, opt), { signal: s })),
        (_c, body, s) => client.call(`patch ${what}`, (a, opt) => a.core.patchNode({ name, body }, opt), { ...merge, signal: s }),
        // Uncordon only what Faultline cordoned (the annotation says so); otherwise just drop our marks.
        (c) => (c.metadata?.annotations?.[ANN_CORDONED] === 'true' ? { unschedulable: null } : undefined),
        signal,
      );
    }
    case 'NetworkPolicy': {
      const { name, namespace } = o;
      const res = await ignore404(client.call(`delete ${what}`, (a, opt) => a.net.deleteNamespacedNetworkPolicy({ name, namespace }, opt), { signal }));
      return res === 'gone' ? 'gone' : 'reverted';
    }
    case 'Chaos': {
      const { name, namespace, plural, version } = o;
      const res = await ignore404(
        client.call(`delete ${what}`, (a, opt) => a.custom.deleteNamespacedCustomObject({ group: 'chaos-mesh.org', version, namespace, plural, name }, opt), { signal }),
      );
      return res === 'gone' ? 'gone' : 'reverted';
    }
  }
}

export interface RevertFailure {
  object: OwnedObject;
  error: string;
  /** True when the error was worth retrying and the tries ran out. */
  retried: boolean;
}

/** Reverts every object; a failure of one does not stop the others. Throws `revert_failed` naming what is left. */
export async function revertObjects(
  handle: Pick<FaultHandle, 'handleId' | 'faultType' | 'expiresAt'>,
  objects: readonly OwnedObject[],
  deps: {
    client: KubeClient;
    policy: RetryPolicy;
    log: AdapterLogger;
    /** Told about each object as it is done or given up on (the janitor prints one line per object). */
    onObject?: (object: OwnedObject, result: { outcome: RevertOutcome } | { error: string }) => void;
  },
  signal?: AbortSignal,
): Promise<Array<{ object: OwnedObject; outcome: RevertOutcome }>> {
  const done: Array<{ object: OwnedObject; outcome: RevertOutcome }> = [];
  const failed: RevertFailure[] = [];
  for (const object of revertOrder(objects)) {
    try {
      const outcome = await withRetry(`revert ${objectRef(object)}`, deps.policy, deps.log, signal, () => revertObject(deps.client, handle.handleId, object, signal));
      done.push({ object, outcome });
      deps.log.info({ handleId: handle.handleId, object: objectRef(object), outcome }, 'kubernetes object reverted');
      deps.onObject?.(object, { outcome });
    } catch (err) {
      const error = err instanceof FaultlineError ? err.message : describeKubeError(err);
      failed.push({ object, error, retried: isTransient(err) && !signal?.aborted });
      deps.onObject?.(object, { error });
    }
  }
  if (failed.length > 0) throw revertFailed(handle, failed, deps.policy.attempts);
  return done;
}

export function revertFailed(handle: Pick<FaultHandle, 'handleId' | 'faultType' | 'expiresAt'>, failed: readonly RevertFailure[], attempts: number): FaultlineError {
  const selfReverting = failed.every((f) => f.object.kind === 'Chaos');
  const lines = failed.map((f) => `  - ${objectRef(f.object)} (${f.error}${f.retried ? `, still failing after ${attempts} tries` : ''}): ${kubectlUndo(f.object)}`);
  const tail = selfReverting ? ` Chaos Mesh ends these itself at ${new Date(handle.expiresAt).toISOString()}.` : '';
  return new FaultlineError(
    'revert_failed',
    `could not revert ${handle.faultType} ${handle.handleId}; left to undo by hand:\n${lines.join('\n')}\n(list everything still marked: kubectl get deploy,sts,pods,networkpolicies,nodes -A -l ${LABEL_HANDLE}=${handle.handleId}).${tail}`,
    { handleId: handle.handleId, left: failed.map((f) => ({ object: objectRef(f.object), error: f.error, undo: kubectlUndo(f.object) })) },
  );
}
