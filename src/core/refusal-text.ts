import type { ErrorCode } from './errors.js';

/**
 * How a refusal is said to the person who asked: in the second person, the rule that refused it, and
 * what to do now. The error's own message (what exactly was wrong) follows it; the code stays on the
 * message for logs, tests and support, never as its headline.
 */
export interface RefusalText {
  title: string;
  rule?: string;
  todo?: string;
}

const TEXTS: Partial<Record<ErrorCode, RefusalText>> = {
  approval_self: {
    title: "You can't approve your own experiment",
    rule: 'Four eyes: a second person, one of the approvers, approves what you propose.',
    todo: 'Ask one of the approvers on the card.',
  },
  approval_not_approver: {
    title: "You aren't an approver",
    rule: 'Only the approvers in the config (or in the approver user group) may approve, start or reject.',
    todo: 'Ask one of the approvers on the card, or whoever runs Faultline to add you.',
  },
  approval_plan_changed: {
    title: 'The plan changed since it was approved',
    rule: 'An approval covers exactly the targets it was given; anything else needs a new one.',
    todo: 'Look at the new plan on the card and approve it again, or propose again.',
  },
  approval_expired: {
    title: 'That approval has expired',
    rule: 'An approval is good for a limited time (`approvalTtl`).',
    todo: 'Ask an approver to approve it again.',
  },
  approval_missing: { title: "It isn't approved yet", rule: 'Nothing starts without an approval.', todo: 'Ask one of the approvers on the card.' },
  not_permitted: { title: "You can't do that here", rule: 'Only the proposer, an approver or the game day\'s commander may, depending on the step.', todo: 'Ask one of them.' },
  illegal_transition: { title: "That can't be done now", todo: 'See its state with `/chaos status <id>`.' },
  halted: { title: 'Chaos is halted', rule: 'While halted, nothing starts.', todo: 'Once it is safe again, an approver resumes with `/chaos resume`.' },
  frozen: { title: 'A freeze is on', rule: 'Nothing starts during a freeze window.', todo: 'Wait until it ends (`/chaos freeze list`), or schedule the run for later.' },
  incident_open: { title: 'An incident is open on a linked service', rule: 'Nothing new starts on a service with an open incident.', todo: 'Wait until the incident is resolved.' },
  incident_unknown: { title: "Open incidents can't be known right now", rule: 'A start on a service linked to PagerDuty needs to know there is no open incident.', todo: 'Try again shortly, or ask whoever runs Faultline to check its PagerDuty settings.' },
  incident_lookup_failed: { title: "PagerDuty couldn't be asked", rule: 'A start on a service linked to PagerDuty needs to know there is no open incident.', todo: 'Try again shortly.' },
  blast_radius_exceeded: { title: 'That would hit too much', rule: 'The organisation caps how many targets (and what share) one experiment may hit.', todo: 'Propose a smaller blast radius, e.g. `blastRadius=one`.' },
  protected_target: { title: 'That target is protected', rule: 'Protected targets are never hit.', todo: 'Pick a selector that leaves it out.' },
  target_busy: { title: 'Another experiment holds those targets', rule: 'One experiment at a time per target.', todo: 'Wait for it to end (`/chaos list`).' },
  concurrency_cap: { title: 'Too many experiments are running', rule: 'The organisation caps how many run at once.', todo: 'Wait for one to end (`/chaos list`).' },
  ladder: { title: 'Start smaller first', rule: 'A wider blast radius needs a run that held at the smaller one first.', todo: 'Run it at the smaller radius named below, then come back.' },
  no_targets: { title: 'Nothing matches', rule: 'An experiment needs at least one target.', todo: 'Check the playbook\'s selector.' },
  playbook_not_found: { title: "There's no such playbook", todo: 'In Slack, `/chaos propose` alone lists them in a form; `faultline validate` lists the files that load.' },
  playbook_invalid: { title: "That playbook doesn't load", todo: 'Fix the file (`faultline validate` names the field).' },
  experiment_not_found: { title: "There's no such experiment", todo: 'See the experiments with `/chaos list`.' },
  gameday_not_found: { title: "There's no such game day", todo: 'See them with `/chaos gameday list`.' },
  gameday_role: { title: "That's not your role in this game day", rule: 'The commander continues, holds and hands over; anyone may abort.', todo: 'Ask the commander.' },
  schedule_not_found: { title: "There's no such schedule", todo: 'See them with `/chaos schedule list`.' },
  replica_unavailable: {
    title: "Your command wasn't taken",
    rule: 'Commands go to the replica that leads; this one could not hand yours over, so nothing was done.',
    todo: 'Try again in a few seconds: a takeover takes at most the lease time.',
  },
  leader_fenced: { title: "This replica doesn't lead any more", rule: 'Only the replica holding the lease acts.', todo: 'Try again in a few seconds.' },
  steady_state_failed: { title: "The steady state doesn't hold", rule: 'Nothing is injected into a system that is not steady to begin with.', todo: 'Wait until it is, then start again.' },
};

/** The second-person words for a refusal with `code` of the command `verb`. */
export function refusalText(code: string, verb: string): RefusalText {
  return TEXTS[code as ErrorCode] ?? { title: `Your ${verb} was refused` };
}
