import { actorLabel } from './actor.js';
import { formatDuration } from './duration.js';
import { partialApplied, type ExperimentRecord, type Plan } from './experiment.js';
import type { GuardrailResult } from './guardrails.js';
import { formatNumber } from './guardrails.js';
import { message, type Button, type Message } from './message.js';
import { shortHash } from './plan-hash.js';
import { scopeOfPlan } from './target-identity.js';

const MAX_LISTED_TARGETS = 10;

export function listTargets(names: readonly string[], max = MAX_LISTED_TARGETS): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')} … and ${names.length - max} more`;
}

function stateLine(r: ExperimentRecord): string {
  const phase = r.phase ? ` / ${r.phase}` : '';
  const verdict = r.verdict ? ` · verdict: ${r.verdict}` : '';
  return `${r.state}${phase}${verdict}`;
}

/** "kubernetes · cluster prod · namespace shop · deployment name=cart · radius one" */
export function targetLine(p: Plan): string {
  const s = scopeOfPlan(p);
  return [p.adapter, ...(s.cluster ? [`cluster ${s.cluster}`] : []), ...(s.namespace ? [`namespace ${s.namespace}`] : []), `${s.kind} ${s.selection}`, `radius ${p.blastRadius}`].join(' · ');
}

function willHit(p: Plan): string {
  const of = p.population !== undefined && p.population > p.candidates ? ` (of ${p.population} in all)` : '';
  return `${p.targets.length} of ${p.candidates}${of}: ${listTargets(p.targets.map((t) => t.name))}`;
}

const GUARDRAIL_MARK: Record<GuardrailResult['status'], string> = { ok: 'ok', pending: 'watch', breach: 'BREACH', blind: 'BLIND' };

/** The card for one experiment: what it is, what it would hit, and the buttons that fit its state. */
export function experimentCard(
  r: ExperimentRecord,
  opts: { hypothesis: string; approvers: readonly string[]; now: number; guardrails?: readonly GuardrailResult[]; pagerduty?: readonly string[] },
): Message {
  const p = r.plan;
  const fields = [
    { label: 'State', value: stateLine(r) },
    { label: 'Target', value: targetLine(p) },
    { label: 'Will hit', value: willHit(p) },
    { label: 'Fault', value: `${p.fault.type} ${JSON.stringify(p.fault.parameters)} for ${formatDuration(p.durationMs)}` },
    { label: 'Proposed by', value: actorLabel(r.proposedBy) },
    { label: 'Plan', value: shortHash(r.planHash) },
  ];
  if (r.gameDay) fields.push({ label: 'Game day', value: `step ${r.gameDay.step + 1} of ${r.gameDay.id}` });
  if (r.approval) fields.push({ label: 'Approved by', value: actorLabel(r.approval.by) });
  else if (r.state === 'proposed') fields.push({ label: 'Approvers', value: opts.approvers.filter((a) => a !== r.proposedBy.id).join(', ') || '(none configured)' });
  if (opts.pagerduty && opts.pagerduty.length > 0) fields.push({ label: 'PagerDuty', value: opts.pagerduty.join(', ') });
  if (r.state === 'running' && r.endsAt && r.injectedAt) {
    const elapsed = Math.max(0, opts.now - r.injectedAt);
    const remaining = Math.max(0, r.endsAt - opts.now);
    fields.push({ label: 'Time', value: `${formatDuration(elapsed)} elapsed, ${formatDuration(remaining)} left` });
  }
  if (r.abort) fields.push({ label: 'Aborted', value: `${actorLabel(r.abort.by)}: ${r.abort.reason}` });
  if (r.failure) fields.push({ label: 'Failure', value: r.failure });
  if (r.partial) fields.push({ label: 'Partly applied', value: partialApplied(r.partial) });

  const live = new Map((opts.guardrails ?? []).map((g) => [g.name, g]));
  const guardrailLines = p.guardrails.map((g) => {
    const res = live.get(g.name);
    const now = res ? ` → ${GUARDRAIL_MARK[res.status]}: ${res.detail}` : '';
    return `• ${g.name}: abort when ${g.signal} ${g.comparison} ${formatNumber(g.threshold)} for ${formatDuration(g.forMs)}${now}`;
  });
  const steady = p.steadyState.map((c) => `• ${c.name}: ${c.signal} ${c.comparison} ${formatNumber(c.threshold)}`);
  const sections = [`Hypothesis: ${opts.hypothesis}`, `Guardrails:\n${guardrailLines.join('\n')}`];
  if (steady.length > 0) sections.push(`Steady state (before and after):\n${steady.join('\n')}`);
  if (p.impact && p.impact.length > 0) sections.push(`Also affected (preview):\n${p.impact.map((line) => `• ${line}`).join('\n')}`);

  const buttons: Button[] = [];
  if (r.state === 'proposed') {
    buttons.push({ label: 'Approve', actionId: 'approve', value: r.id, style: 'primary' });
    buttons.push({ label: 'Reject', actionId: 'reject', value: r.id, style: 'danger', confirm: `Reject ${r.id}?` });
  } else if (r.state === 'approved') {
    buttons.push({ label: 'Start', actionId: 'start', value: r.id, style: 'primary' });
    buttons.push({ label: 'Cancel', actionId: 'cancel', value: r.id });
  } else if (r.state === 'running') {
    buttons.push({ label: 'Abort', actionId: 'abort', value: r.id, style: 'danger' });
  }
  const tone = r.state === 'completed' ? 'success' : r.state === 'aborted' || r.state === 'failed' ? 'danger' : r.state === 'running' ? 'warning' : 'info';
  return message({ title: `${r.id} · ${r.name}`, tone, fields, sections, buttons });
}
