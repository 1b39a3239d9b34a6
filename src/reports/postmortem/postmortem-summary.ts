import { SYSTEM } from '../../core/actor.js';
import { partialApplied, type ExperimentRecord, type Verdict } from '../../core/experiment.js';
import { formatDuration } from '../../core/duration.js';

export interface SummaryFacts {
  record: ExperimentRecord;
  /** The first guardrail that broke, as journaled. */
  firstBreach: { guardrail: string; status: 'breach' | 'blind'; detail: string; rel: string } | null;
  injected: boolean;
  revertFailed: boolean;
  postcheckPassed: boolean | null;
}

export const VERDICT_MEANING: Record<Verdict | 'none', string> = {
  held: 'Held: the steady state stayed within its bounds while the fault was in, and after it was reverted.',
  refuted: 'Refuted: the system did not stay within the hypothesis bounds under this fault; this is a finding to learn from.',
  inconclusive: 'Inconclusive: the run does not support a conclusion either way; the hypothesis still needs testing.',
  none: 'No verdict: the experiment has not finished.',
};

/** One sentence on what happened, about systems and conditions, never people. */
export function summarize(f: SummaryFacts): string {
  const r = f.record;
  const n = r.plan.targets.length;
  const fault = `the ${r.plan.fault.type} fault on ${n} target${n === 1 ? '' : 's'}`;
  const Fault = fault.charAt(0).toUpperCase() + fault.slice(1);
  const planned = formatDuration(r.plan.durationMs);
  if (r.state === 'rejected' || r.state === 'expired' || r.state === 'cancelled') {
    return `The experiment never ran (${r.state}${r.closedBy ? `: ${r.closedBy.reason}` : ''}); nothing was injected.`;
  }
  if (r.state === 'proposed' || r.state === 'approved' || r.state === 'running') {
    return `The experiment is still ${r.phase ? `${r.state} (${r.phase})` : r.state}; this draft is provisional.`;
  }
  if (r.failure?.startsWith('revert failed') || f.revertFailed) {
    return `Injecting ${fault} worked, but reverting it failed (${r.failure ?? 'see timeline'}); the fault may still be in place and needs manual clean-up.`;
  }
  if (r.failure) {
    return `Injecting ${fault} failed (${r.failure}); whatever had been applied was reverted, so the run says nothing about the hypothesis.`;
  }
  if (r.abort?.code === 'preflight_failed') {
    return `A guardrail could not be watched or was already breaking before injection (${r.abort.reason}), so nothing was injected.`;
  }
  if (r.abort?.code === 'steady_state_failed') {
    return `The steady state was not met before injection (${r.abort.reason}), so nothing was injected.`;
  }
  if (f.firstBreach && r.abort?.code === 'guardrail_breach') {
    return `Guardrail ${f.firstBreach.guardrail} breached at ${f.firstBreach.rel} (${f.firstBreach.detail}) while ${fault} was in; Faultline aborted and reverted the fault automatically.`;
  }
  if (r.abort?.code === 'guardrail_blind') {
    const which = f.firstBreach ? `Guardrail ${f.firstBreach.guardrail}` : 'A guardrail';
    return `${which} lost its signal (${f.firstBreach?.detail ?? r.abort.reason}) while ${fault} was in; unknown counts as unhealthy, so Faultline aborted and reverted the fault.`;
  }
  if (r.abort) {
    const how = r.abort.by.id === SYSTEM.id ? 'automatically' : 'on request';
    const when = f.injected ? ` while ${fault} was in; the fault was reverted` : ' before anything was injected';
    return `The experiment was aborted ${how} (${r.abort.code}: ${r.abort.reason})${when}.`;
  }
  if (r.partial && r.verdict !== 'refuted') {
    return `${Fault} went in only in part (${partialApplied(r.partial)}); no guardrail tripped in ${planned}, but the hypothesis was not tested as written, so the run is inconclusive.`;
  }
  if (f.postcheckPassed === false || r.verdict === 'refuted') {
    return `${Fault} ran for the planned ${planned} without tripping a guardrail, but the steady state had not returned after the revert.`;
  }
  return `${Fault} ran for the planned ${planned}; no guardrail tripped and the steady state held before, during and after.`;
}
