import { actorLabel, sameActor, SYSTEM, type Actor } from '../../core/actor.js';
import type { ExperimentRecord } from '../../core/experiment.js';
import { formatDuration } from '../../core/duration.js';
import { message, type Message } from '../../core/message.js';
import { approverUserId } from '../../core/mention.js';

/**
 * What people hear directly (Slack: a DM from the app), beside what the channel and the thread say:
 * approvers are asked, and the proposer learns when their experiment is approved, starts, aborts and
 * ends. Game-day steps are left out: the day's own card and commander carry those.
 */

/** Who is asked by DM to approve `record`: every approver but the proposer, once each. */
export function approvalRecipients(approvers: readonly string[], proposer: Actor): string[] {
  const ids = approvers.map(approverUserId).filter((id) => id !== proposer.id && id !== SYSTEM.id);
  return [...new Set(ids)];
}

/** The DM that asks an approver: the card itself (its Approve and Reject work from the DM), with who asks. */
export function approvalRequest(record: ExperimentRecord, card: Message): Message {
  return {
    ...card,
    title: `Approval asked: ${card.title ?? record.id}`,
    sections: [`${actorLabel(record.proposedBy)} asks you to approve this experiment (posted in its channel; anyone but the proposer among the approvers may approve).`, ...card.sections],
  };
}

const ended = (r: ExperimentRecord) => (r.injectedAt !== null && r.endedAt !== null ? ` after ${formatDuration(Math.max(0, r.endedAt - r.injectedAt))}` : '');

/** The proposer's DM for this change, or null when there is nothing they would not already know. */
export function proposerNotice(before: ExperimentRecord, after: ExperimentRecord): Message | null {
  if (after.gameDay || sameActor(after.proposedBy, SYSTEM) || before.state === after.state) return null;
  const what = `${after.id} · ${after.name}`;
  const byOther = (a: Actor | null | undefined) => a && !sameActor(a, after.proposedBy);
  switch (after.state) {
    case 'approved':
      return after.approval ? message({ tone: 'success', title: `Approved: ${what}`, sections: [`${actorLabel(after.approval.by)} approved it. Start it with \`/chaos start ${after.id}\` or the card's Start button.`] }) : null;
    case 'running':
      return byOther(after.startedBy) ? message({ tone: 'warning', title: `Started: ${what}`, sections: [`${actorLabel(after.startedBy!)} started it; the fault goes in once the steady state holds.`] }) : null;
    case 'aborted':
      return after.abort
        ? message({ tone: 'danger', title: `Aborted: ${what}`, sections: [`Aborted${ended(after)} by ${actorLabel(after.abort.by)}: ${after.abort.reason}`] })
        : null;
    case 'completed':
      return message({ tone: after.verdict === 'held' ? 'success' : 'warning', title: `Ended: ${what}`, sections: [`It ended${ended(after)}; verdict: ${after.verdict ?? 'none'}. The post-mortem draft is in the thread.`] });
    case 'failed':
      return message({ tone: 'danger', title: `Failed: ${what}`, sections: [after.failure ?? 'It failed; the thread says why.'] });
    case 'rejected':
    case 'cancelled':
      return byOther(after.closedBy?.by) ? message({ tone: 'warning', title: `${after.state === 'rejected' ? 'Rejected' : 'Cancelled'}: ${what}`, sections: [`${actorLabel(after.closedBy!.by)}: ${after.closedBy!.reason}`] }) : null;
    case 'expired':
      return message({ tone: 'info', title: `Expired: ${what}`, sections: ['Nobody approved or started it in time. Propose it again when it suits.'] });
    default:
      return null;
  }
}
