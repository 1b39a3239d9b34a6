/**
 * `faultline janitor`: the dead man's switch. One pass over the cluster alone (no journal): every
 * object carrying `faultline.dev/experiment` is grouped into its handle (listOwned), and a handle
 * whose objects' `faultline.dev/expires-at` has passed (plus a grace, so a live bot reverts first)
 * is reverted from what the objects themselves record, then read back for its receipt. Objects
 * without an expiry, without the original replica count, or in a protected namespace are never
 * touched; handles not yet expired are kept.
 */
import { formatDuration } from '../../../core/duration.js';
import type { AdapterLogger, FaultHandle } from '../../../core/ports.js';
import { confirmObjects } from './confirm.js';
import { FaultlineError, isFaultlineError } from '../../../core/errors.js';
import { describeKubeError, type KubeClient } from './kube-client.js';
import { NO_ORIGINAL_REPLICAS, listOwnedHandles, type ObjectMark } from './list-owned.js';
import { ANN_EXPIRES_AT, ANN_ORIGINAL_REPLICAS, KubeHandleData, LABEL_HANDLE, kubectlUndo, objectRef, type OwnedObject } from './ownership.js';
import { revertObjects, revertOrder, type RevertOutcome } from './revert.js';
import { mapLimit, type RetryPolicy } from './retry.js';

export type JanitorAction =
  | 'reverted'
  | 'gone'
  | 'not-ours'
  | 'would-revert'
  | 'failed'
  | 'confirmed'
  | 'not-confirmed'
  | 'kept'
  | 'skipped'
  | 'warning'
  | 'summary';

/** One thing the janitor did or decided, printed as one line (text or JSON). */
export interface JanitorLine {
  action: JanitorAction;
  message: string;
  handleId?: string;
  experimentId?: string;
  faultType?: string;
  object?: string;
  expiresAt?: string;
  differences?: string[];
  manualSteps?: string[];
}

export interface JanitorOptions {
  /** How long past an expiry the janitor waits, so a live bot does its own revert and receipt first. */
  graceMs: number;
  protectedNamespaces: readonly string[];
  dryRun: boolean;
  now: () => number;
  policy: RetryPolicy;
  /** Handles worked on at once. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface JanitorSummary {
  handles: number;
  expired: number;
  confirmed: number;
  notConfirmed: number;
  failed: number;
  kept: number;
  skippedObjects: number;
  /** False when a revert or a confirmation failed. */
  ok: boolean;
}

const namespaceOf = (o: OwnedObject): string | undefined => (o.kind === 'Node' ? undefined : o.namespace);

function undoText(o: OwnedObject, dryRun: boolean): string {
  const verb = (done: string, would: string) => (dryRun ? would : done);
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return verb(`replicas set back to ${o.originalReplicas}, marks removed`, `would set replicas back to ${o.originalReplicas} and remove the marks`);
    case 'Node':
      return verb('uncordoned, marks removed', 'would uncordon it and remove the marks');
    case 'Pod':
      return verb('faultline labels removed', 'would remove the faultline labels');
    case 'NetworkPolicy':
    case 'Chaos':
      return verb('deleted', 'would delete it');
  }
}

const outcomeText: Record<Exclude<RevertOutcome, 'reverted'>, string> = {
  gone: 'already gone',
  'not-ours': `no longer carries this handle's ${LABEL_HANDLE} label; left alone`,
};

/** Messages of listOwned the janitor says better itself (it skips such workloads instead of reverting them). */
const SAID_OTHERWISE = new Set([NO_ORIGINAL_REPLICAS]);

/** An AdapterLogger that turns the adapter's warnings into `warning` lines and drops the rest. */
export function janitorLog(emit: (line: JanitorLine) => void): AdapterLogger {
  const warn = (obj: object, msg: string) => {
    if (SAID_OTHERWISE.has(msg)) return;
    const detail = Object.entries(obj)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    emit({ action: 'warning', message: detail ? `${msg} (${detail})` : msg });
  };
  return { debug() {}, info() {}, warn, error: warn };
}

export async function runJanitor(client: KubeClient, opts: JanitorOptions, emit: (line: JanitorLine) => void): Promise<JanitorSummary> {
  const log = janitorLog(emit);
  // Reading the cluster is the one thing that may throw: without it nothing can be decided.
  let handles: FaultHandle[];
  try {
    handles = await listOwnedHandles(client, log, { signal: opts.signal });
  } catch (err) {
    throw isFaultlineError(err) ? err : new FaultlineError('adapter_error', `could not read the cluster: ${describeKubeError(err)}`, {}, { cause: err });
  }
  const summary: JanitorSummary = { handles: handles.length, expired: 0, confirmed: 0, notConfirmed: 0, failed: 0, kept: 0, skippedObjects: 0, ok: true };
  await mapLimit(handles, opts.concurrency ?? 8, async (handle) => {
    const lines: JanitorLine[] = [];
    try {
      await janitorHandle(client, handle, opts, summary, (l) => lines.push(l), log);
    } finally {
      for (const l of lines) emit(l);
    }
  });
  summary.ok = summary.failed === 0 && summary.notConfirmed === 0;
  const parts = [
    `${summary.handles} handle(s) found`,
    `${summary.expired} expired`,
    opts.dryRun ? undefined : `${summary.confirmed} reverted and confirmed`,
    summary.notConfirmed > 0 ? `${summary.notConfirmed} NOT confirmed` : undefined,
    summary.failed > 0 ? `${summary.failed} failed` : undefined,
    `${summary.kept} kept`,
    `${summary.skippedObjects} object(s) skipped`,
  ].filter((p): p is string => p !== undefined);
  emit({ action: 'summary', message: `janitor${opts.dryRun ? ' (dry run)' : ''}: ${parts.join(', ')}` });
  return summary;
}

async function janitorHandle(
  client: KubeClient,
  handle: FaultHandle,
  opts: JanitorOptions,
  summary: JanitorSummary,
  emit: (line: JanitorLine) => void,
  log: AdapterLogger,
): Promise<void> {
  const data = KubeHandleData.parse(handle.data);
  const marks = (Array.isArray(handle.data.marks) ? handle.data.marks : []) as ObjectMark[];
  const who = { handleId: handle.handleId, experimentId: handle.experimentId, faultType: handle.faultType };
  const about = `${handle.handleId}, ${handle.faultType} of ${handle.experimentId}`;

  const eligible: Array<{ object: OwnedObject; expiresAt: number }> = [];
  for (const [i, object] of data.objects.entries()) {
    const mark = marks[i];
    const ref = objectRef(object);
    const ns = namespaceOf(object);
    const skip = (why: string) => {
      summary.skippedObjects += 1;
      emit({ action: 'skipped', ...who, object: ref, message: `${ref} (${about}): ${why}; not touched` });
    };
    if (ns !== undefined && opts.protectedNamespaces.includes(ns)) skip(`in protected namespace ${ns}`);
    else if (!mark || mark.expiresAt === null) skip(`no ${ANN_EXPIRES_AT} annotation`);
    else if ((object.kind === 'Deployment' || object.kind === 'StatefulSet') && mark.replicasRecorded === false) skip(`no ${ANN_ORIGINAL_REPLICAS} annotation, so the replica count to restore is unknown`);
    else eligible.push({ object, expiresAt: mark.expiresAt });
  }
  if (eligible.length === 0) return;

  // Every object of a handle carries the same expiry; should they differ, the latest one decides.
  const expiresAt = Math.max(...eligible.map((e) => e.expiresAt));
  const expiresIso = new Date(expiresAt).toISOString();
  const now = opts.now();
  const objects = revertOrder(eligible.map((e) => e.object));
  const refs = objects.map(objectRef).join(', ');
  if (now < expiresAt + opts.graceMs) {
    summary.kept += 1;
    const when =
      now < expiresAt
        ? `expires in ${formatDuration(expiresAt - now)}`
        : `expired ${formatDuration(now - expiresAt)} ago, within the ${formatDuration(opts.graceMs)} grace (left to the bot)`;
    emit({ action: 'kept', ...who, expiresAt: expiresIso, message: `${about}: ${when} (${refs})` });
    return;
  }
  summary.expired += 1;
  const ago = `expired ${formatDuration(now - expiresAt)} ago`;
  if (opts.dryRun) {
    for (const o of objects) emit({ action: 'would-revert', ...who, object: objectRef(o), expiresAt: expiresIso, message: `${objectRef(o)} (${about}, ${ago}): ${undoText(o, true)}` });
    return;
  }

  let failed = false;
  const onObject = (o: OwnedObject, result: { outcome: RevertOutcome } | { error: string }) => {
    const ref = objectRef(o);
    if ('error' in result) {
      failed = true;
      emit({ action: 'failed', ...who, object: ref, expiresAt: expiresIso, manualSteps: [kubectlUndo(o)], message: `${ref} (${about}, ${ago}): could not revert it (${result.error}); by hand: ${kubectlUndo(o)}` });
      return;
    }
    const text = result.outcome === 'reverted' ? undoText(o, false) : outcomeText[result.outcome];
    emit({ action: result.outcome, ...who, object: ref, expiresAt: expiresIso, message: `${ref} (${about}, ${ago}): ${text}` });
  };
  try {
    await revertObjects(handle, objects, { client, policy: opts.policy, log, onObject }, opts.signal);
  } catch {
    // Each object that failed has had its own line with the kubectl that finishes it.
    failed = true;
  }
  if (failed) {
    summary.failed += 1;
    return;
  }
  const receipt = await confirmObjects(handle.handleId, objects, { client, policy: opts.policy, log }, opts.signal);
  if (receipt.confirmed) {
    summary.confirmed += 1;
    emit({ action: 'confirmed', ...who, expiresAt: expiresIso, message: `${about}: reverted and confirmed (${objects.length} object(s) read back as they were)` });
  } else {
    summary.notConfirmed += 1;
    emit({
      action: 'not-confirmed',
      ...who,
      expiresAt: expiresIso,
      differences: receipt.differences,
      manualSteps: receipt.manualSteps,
      message: `${about}: revert NOT confirmed: ${receipt.differences.join('; ')}; by hand: ${receipt.manualSteps.join(' ; ')}`,
    });
  }
}
