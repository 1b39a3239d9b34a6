import type { ApprovalPolicy } from '../../core/approval.js';
import type { EngineDeps } from '../engine-deps.js';
import { within } from '../../lib/within.js';

/**
 * Who approves: the configured approvers plus, when the chat has an approver group, its members as
 * last looked up. Decisions that must not wait (an abort's authority) use what is known now.
 */
export class ApproverRoster {
  private knownGroup: readonly string[] = [];

  constructor(private readonly deps: Pick<EngineDeps, 'settings' | 'extraApprovers' | 'log'>) {}

  /** The configured approvers plus, when there is one, the members of the approver group right now. */
  async policy(): Promise<ApprovalPolicy> {
    const base = this.deps.settings.approval;
    if (!this.deps.extraApprovers) return base;
    this.knownGroup = await this.deps.extraApprovers.members();
    return { ...base, approvers: this.now() };
  }

  /**
   * Looks the approver group up again (cached by the chat adapter), so the next decisions know its
   * members. With `maxWaitMs`, waits at most that long; a later answer still updates what is known.
   */
  async refresh(maxWaitMs?: number): Promise<void> {
    const lookup = this.policy().then(
      () => undefined,
      (err: unknown) => this.deps.log.warn({ err }, 'approver group lookup failed'),
    );
    if (maxWaitMs === undefined) return lookup;
    await within(lookup, maxWaitMs);
  }

  /** Who counts as an approver without waiting: the configured list and the group's members as last looked up. */
  now(): readonly string[] {
    const base = this.deps.settings.approval.approvers;
    return [...base, ...this.knownGroup.filter((u) => !base.includes(u))];
  }
}
