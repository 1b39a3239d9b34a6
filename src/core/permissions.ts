import { SYSTEM, sameActor, type Actor } from './actor.js';
import { isApprover } from './approval.js';
import { FaultlineError } from './errors.js';

/**
 * What a person may do to an experiment or game day someone proposed, besides approving it (that is
 * `checkApproval`: an approver, never the proposer). Abort is not here on purpose: anyone may abort
 * a run, always, and nothing about it waits on who asks.
 */
export type GuardedVerb = 'start' | 'reject' | 'cancel';

/** Who counts, fed by the engine from the configuration and the chat. */
export interface Authority {
  /** Approver entries: user ids, `TEAM/USER` pins (that user from that workspace only), approver-group members. */
  approvers: readonly string[];
  /** A game day's commander: starts the day's step experiments and may cancel the day before it runs. */
  commander?: string;
}

interface Rule {
  proposer: boolean;
  commander: boolean;
}

const RULES: Readonly<Record<GuardedVerb, Rule>> = {
  start: { proposer: true, commander: true },
  reject: { proposer: false, commander: false },
  cancel: { proposer: true, commander: true },
};

/** The bot itself, acting on a decision already made (a game day's auto-continue, a schedule, reconcile). */
export function isSystem(actor: Actor): boolean {
  return actor.id === SYSTEM.id && actor.team === undefined;
}

/** Whether `actor` may `verb` the experiment or game day `subject`. */
export function permits(verb: GuardedVerb, subject: { proposedBy: Actor }, actor: Actor, authority: Authority): boolean {
  if (isSystem(actor)) return true;
  const rule = RULES[verb];
  if (rule.proposer && sameActor(subject.proposedBy, actor)) return true;
  if (rule.commander && authority.commander !== undefined && isApprover(actor, [authority.commander])) return true;
  return isApprover(actor, authority.approvers);
}

/** Names up to `max` approver entries, then how many more. */
export function listApprovers(entries: readonly string[], max = 10): string {
  if (entries.length === 0) return '(none configured)';
  if (entries.length <= max) return entries.join(', ');
  return `${entries.slice(0, max).join(', ')} … and ${entries.length - max} more`;
}

/** The rule in words, e.g. "the proposer (U1) or an approver". */
function whoMay(rule: Rule, subject: { proposedBy: Actor }, authority: Authority): string {
  const who = [
    ...(rule.proposer ? [`the proposer (${subject.proposedBy.id})`] : []),
    ...(rule.commander && authority.commander !== undefined ? [`the commander (${authority.commander})`] : []),
  ];
  return who.length === 0 ? 'an approver' : `${who.join(', ')} or an approver`;
}

/**
 * Throws `not_permitted`, naming the rule, unless `actor` may `verb` `subject`: "only the proposer
 * (U1) or an approver can start exp-1; approvers are: U2, U3".
 */
export function checkPermitted(verb: GuardedVerb, subject: { id: string; proposedBy: Actor }, actor: Actor, authority: Authority): void {
  if (permits(verb, subject, actor, authority)) return;
  const rule = whoMay(RULES[verb], subject, authority);
  const after = verb === 'cancel' ? '; anyone can abort it once it runs' : '';
  throw new FaultlineError('not_permitted', `only ${rule} can ${verb} ${subject.id}; approvers are: ${listApprovers(authority.approvers)}${after}`, {
    verb,
    subject: subject.id,
    actor: actor.id,
    ...(actor.team ? { team: actor.team } : {}),
    rule: `${verb}: ${rule}`,
  });
}
