import { actorName } from '../../../core/actor.js';
import { formatDuration } from '../../../core/duration.js';
import { isTerminal, type ExperimentRecord } from '../../../core/experiment.js';

/** What one annotation marks: the start, the fault window (opened at inject, closed at revert), an abort, the end. */
export type AnnotationKind = 'start' | 'fault' | 'abort' | 'end';

/** One thing to tell Grafana; pure data, worked out from one transition. */
export type AnnotationStep =
  | { op: 'point'; kind: 'start' | 'abort' | 'end'; time: number; tags: string[]; text: string }
  /** The fault went in: a region from `time` to `time`, widened when it is reverted. */
  | { op: 'open-region'; kind: 'fault'; time: number; tags: string[]; text: string }
  /** The fault came out (or its revert failed): the region now ends at `timeEnd`. */
  | { op: 'close-region'; kind: 'fault'; time: number; timeEnd: number; tags: string[]; text: string };

/**
 * Every annotation carries `faultline`, the experiment id and the fault type; then what it marks (and
 * the verdict at the end). A blinded drill's step carries `drill` instead of its fault type: the
 * responders look at these dashboards, and are not to be told what runs.
 */
export function baseTags(r: ExperimentRecord): string[] {
  return ['faultline', r.id, r.gameDay?.blinded ? 'drill' : r.plan.fault.type];
}

function targetsText(r: ExperimentRecord): string {
  const names = r.plan.targets.map((t) => t.name);
  if (names.length === 0) return 'no targets';
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

const what = (r: ExperimentRecord) => (r.gameDay?.blinded ? `a drill of game day ${r.gameDay.id} (what runs is revealed when it ends)` : `${r.plan.fault.type} on ${targetsText(r)}`);

/**
 * The annotations one applied transition makes, in the order they must reach Grafana. Read from the
 * records alone (the state machine's `state`, `phase`, `abort`, times), so a resumed run after a
 * restart is annotated like any other:
 * - start: the run begins (`running` entered);
 * - fault window: opened when the fault is in (`injecting → observing`), closed when it is reverted
 *   (`reverting → postchecking`) or its revert failed (`reverting → failed`);
 * - abort: an abort of a running experiment (a cancel of one not started marks nothing);
 * - end: a running experiment reaches a terminal state; tagged with the verdict.
 */
export function annotationsFor(before: ExperimentRecord, after: ExperimentRecord): AnnotationStep[] {
  const steps: AnnotationStep[] = [];
  const tags = baseTags(after);
  if (before.state !== 'running' && after.state === 'running') {
    const by = after.startedBy ? `, started by ${actorName(after.startedBy)}` : '';
    steps.push({
      op: 'point',
      kind: 'start',
      time: after.startedAt ?? after.updatedAt,
      tags: [...tags, 'start'],
      text: `Chaos experiment ${after.id}${after.gameDay?.blinded ? '' : ` (${after.name})`} started: ${what(after)} for ${formatDuration(after.plan.durationMs)}${by}`,
    });
  }
  if (before.phase === 'injecting' && after.phase === 'observing' && after.injectedAt !== null) {
    const partial = after.partial ? ` (only ${after.partial.applied} of ${after.partial.intended} ${after.partial.unit} ${after.partial.action})` : '';
    steps.push({ op: 'open-region', kind: 'fault', time: after.injectedAt, tags: [...tags, 'fault'], text: `Fault in: ${what(after)}${partial} (${after.id})` });
  }
  if (before.state === 'running' && after.abort && !before.abort) {
    steps.push({
      op: 'point',
      kind: 'abort',
      time: after.abort.at,
      tags: [...tags, 'abort'],
      text: `Chaos experiment ${after.id} aborted by ${actorName(after.abort.by)} (${after.abort.code}): ${after.abort.reason}`,
    });
  }
  // A fault that went in (injectedAt set) and is now out, or whose revert failed.
  if (before.phase === 'reverting' && before.injectedAt !== null && (after.phase === 'postchecking' || after.state === 'failed')) {
    const reverted = after.phase === 'postchecking';
    const timeEnd = Math.max(after.updatedAt, before.injectedAt);
    steps.push({
      op: 'close-region',
      kind: 'fault',
      time: before.injectedAt,
      timeEnd,
      tags: [...tags, 'fault'],
      text: reverted
        ? `Fault window: ${what(after)} (${after.id}), reverted after ${formatDuration(timeEnd - before.injectedAt)}`
        : `Fault window: ${what(after)} (${after.id}), revert FAILED after ${formatDuration(timeEnd - before.injectedAt)}: the fault may still be in`,
    });
  }
  if (before.state === 'running' && isTerminal(after.state)) {
    steps.push({
      op: 'point',
      kind: 'end',
      time: after.endedAt ?? after.updatedAt,
      tags: [...tags, 'end', ...(after.verdict ? [after.verdict] : [])],
      text: `Chaos experiment ${after.id} ended: ${after.state}${after.verdict ? `, verdict ${after.verdict}` : ''}${after.failure ? ` (${after.failure})` : ''}`,
    });
  }
  return steps;
}
