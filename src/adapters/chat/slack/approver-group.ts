import type { WebClient } from '@slack/web-api';
import type { AdapterLogger } from '../../../core/ports.js';

/** Errors that mean "this workspace or token cannot read user groups", not "try again later". */
const REFUSALS = new Set(['paid_teams_only', 'missing_scope', 'not_allowed_token_type', 'no_such_subteam', 'subteam_not_found', 'invalid_auth']);

/**
 * Members of a Slack user group as extra approvers, cached. When the workspace refuses the call
 * (free plan, missing scope) it falls back to the configured list alone and says so once.
 */
export class ApproverGroup {
  private cached: { users: string[]; at: number } | null = null;
  private refused = false;

  constructor(
    private readonly client: WebClient,
    private readonly groupId: string,
    private readonly ttlMs: number,
    private readonly log: AdapterLogger,
    private readonly now: () => number = Date.now,
  ) {}

  async members(): Promise<string[]> {
    if (this.refused) return [];
    if (this.cached && this.now() - this.cached.at < this.ttlMs) return this.cached.users;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: this.groupId });
      this.cached = { users: res.users ?? [], at: this.now() };
      return this.cached.users;
    } catch (err) {
      const code = (err as { data?: { error?: string } }).data?.error;
      if (code && REFUSALS.has(code)) {
        this.refused = true;
        this.log.warn({ usergroup: this.groupId, error: code }, 'approver user group unavailable; using the configured approvers only');
        return [];
      }
      // A passing failure: keep what we knew (possibly stale) rather than lock approvers out.
      this.log.warn({ usergroup: this.groupId, err }, 'approver user group lookup failed; using the last known members');
      return this.cached?.users ?? [];
    }
  }
}
