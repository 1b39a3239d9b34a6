import type { WebClient } from '@slack/web-api';
import type { AdapterLogger } from '../../../core/ports.js';

/**
 * Display names from `users.info`, cached: what the post-mortem, the audit line and the console show
 * for a person (in Slack itself a person is a mention, which Slack renders). Slack's legacy
 * `user_name` is only the fallback. One lookup per person at a time; a failed lookup is retried
 * after a minute, a found name kept for `ttlMs`.
 */
export class SlackPeople {
  private readonly names = new Map<string, { name: string | undefined; at: number }>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly client: WebClient,
    private readonly log: AdapterLogger,
    private readonly ttlMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The name known now, without asking Slack (for abort and halt, which never wait). */
  cached(user: string): string | undefined {
    return this.names.get(user)?.name;
  }

  /** The person's display name (else real name, else handle); undefined when Slack will not say. */
  async displayName(user: string): Promise<string | undefined> {
    const known = this.names.get(user);
    const age = known ? this.now() - known.at : Infinity;
    if (known && age < (known.name === undefined ? 60_000 : this.ttlMs)) return known.name;
    let lookup = this.inFlight.get(user);
    if (!lookup) {
      lookup = this.lookUp(user).finally(() => this.inFlight.delete(user));
      this.inFlight.set(user, lookup);
    }
    return lookup;
  }

  private async lookUp(user: string): Promise<string | undefined> {
    try {
      const res = await this.client.users.info({ user });
      const u = res.user;
      const name = u?.profile?.display_name || u?.profile?.real_name || u?.real_name || u?.name || undefined;
      this.names.set(user, { name, at: this.now() });
      return name;
    } catch (err) {
      // A missing `users:read` scope or a passing failure: the handle Slack sent still names them.
      this.log.debug({ user, err }, 'users.info failed; using the name from the request');
      const stale = this.names.get(user)?.name;
      this.names.set(user, { name: stale, at: this.now() - this.ttlMs + 60_000 });
      return stale;
    }
  }
}
