import { actorLabel } from './actor.js';
import { partialApplied, type ExperimentRecord, type Plan } from './experiment.js';
import { comparisonWords, faultSentence, spokenDuration, targetWords } from './fault-sentence.js';
import type { GuardrailResult } from './guardrails.js';
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

/** "kubernetes · cluster prod · namespace shop · deployment name=cart · radius one" (the post-mortem's; the card says it in words, targetWords) */
export function targetLine(p: Plan): string {
  const s = scopeOfPlan(p);
  return [p.adapter, ...(s.cluster ? [`cluster ${s.cluster}`] : []), ...(s.namespace ? [`namespace ${s.namespace}`] : []), `${s.kind} ${s.selection}`, `radius ${p.blastRadius}`].join(' · ');
}

function willHit(p: Plan): string {
  const of = p.population !== undefined && p.population > p.candidates ? ` (of ${p.population} in all)` : '';
  return `${p.targets.length} of ${p.candidates}${of}: ${listTargets(p.targets.map((t) => t.name))}`;
}

const GUARDRAIL_MARK: Record<GuardrailResult['status'], string> = { ok: 'ok', pending: 'watch', breach: 'BREACH', blind: 'BLIND' };

/** "10 s elapsed, 35 s left" while the fault is in; "ended after 10 s" (from injection to the end) once it is over. */
function timeLine(r: ExperimentRecord, now: number): string | undefined {
  if (r.state === 'running' && r.endsAt && r.injectedAt) {
    return `${spokenDuration(Math.max(0, now - r.injectedAt))} elapsed, ${spokenDuration(Math.max(0, r.endsAt - now))} left`;
  }
  if (r.state !== 'running' && r.injectedAt && r.endedAt) return `ended after ${spokenDuration(Math.max(0, r.endedAt - r.injectedAt))}`;
  return undefined;
}

/** "• checkout p99 latency: aborts if above 800 for 10 s", then its live status when there is one. */
function guardrailLine(g: Plan['guardrails'][number], live: GuardrailResult | undefined): string {
  const window = g.forMs > 0 ? ` for ${spokenDuration(g.forMs)}` : '';
  const now = live ? ` → ${GUARDRAIL_MARK[live.status]}: ${live.detail}` : '';
  return `• ${g.name}: aborts if ${comparisonWords(g.comparison, g.threshold)}${window}${now}`;
}

/**
 * The card for one experiment: what it is, what it would hit, and the buttons that fit its state.
 * `title` is the playbook's title (the record does not carry it); without one the card says the playbook's name.
 */
export function experimentCard(
  r: ExperimentRecord,
  opts: { hypothesis: string; approvers: readonly string[]; now: number; guardrails?: readonly GuardrailResult[]; pagerduty?: readonly string[]; title?: string },
): Message {
  const p = r.plan;
  const fields = [
    { label: 'State', value: stateLine(r) },
    { label: 'Target', value: targetWords(p) },
    { label: 'Will hit', value: willHit(p) },
    { label: 'Fault', value: faultSentence(p) },
    { label: 'Proposed by', value: actorLabel(r.proposedBy) },
    { label: 'Plan', value: shortHash(r.planHash) },
  ];
  if (r.gameDay) fields.push({ label: 'Game day', value: `step ${r.gameDay.step + 1} of ${r.gameDay.id}` });
  if (r.approval) fields.push({ label: 'Approved by', value: actorLabel(r.approval.by) });
  else if (r.state === 'proposed') fields.push({ label: 'Approvers', value: opts.approvers.filter((a) => a !== r.proposedBy.id).join(', ') || '(none configured)' });
  if (opts.pagerduty && opts.pagerduty.length > 0) fields.push({ label: 'PagerDuty', value: opts.pagerduty.join(', ') });
  const time = timeLine(r, opts.now);
  if (time) fields.push({ label: 'Time', value: time });
  if (r.abort) fields.push({ label: 'Aborted', value: `${actorLabel(r.abort.by)}: ${r.abort.reason}` });
  if (r.failure) fields.push({ label: 'Failure', value: r.failure });
  if (r.partial) fields.push({ label: 'Partly applied', value: partialApplied(r.partial) });

  const live = new Map((opts.guardrails ?? []).map((g) => [g.name, g]));
  const guardrailLines = p.guardrails.map((g) => guardrailLine(g, live.get(g.name)));
  const steady = p.steadyState.map((c) => `• ${c.name}: must be ${comparisonWords(c.comparison, c.threshold)}`);
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
  const title = opts.title?.trim() || r.name;
  return message({ title: `${r.id} · ${title}`, tone, fields, sections, buttons });
}
