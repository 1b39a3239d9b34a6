import { ErrorCode, type WebClient } from '@slack/web-api';
import { z } from 'zod';
import { FaultlineError, errorText } from '../../../core/errors.js';
import type { AdapterLogger } from '../../../core/ports.js';

/** A person in the workspace found by email: whom to mention and DM (the on-call handshake). */
export const SlackPerson = z.strictObject({
  userId: z.string().min(1),
  name: z.string().optional().describe('display name, else real name, else handle'),
});
export type SlackPerson = z.infer<typeof SlackPerson>;

/** `users.lookupByEmail`'s answer for nobody with that email (`user_not_found` in older references). */
const NOT_FOUND = new Set(['users_not_found', 'user_not_found']);
const RETRY_NOT_FOUND_MS = 60_000;

type SlackUser = { id?: string; name?: string; real_name?: string; deleted?: boolean; profile?: { display_name?: string; real_name?: string } };
const nameOf = (u: SlackUser | undefined): string | undefined => u?.profile?.display_name || u?.profile?.real_name || u?.real_name || u?.name || undefined;

/**
 * Display names from `users.info`, cached: what the post-mortem, the audit line and the console show
 * for a person (in Slack itself a person is a mention, which Slack renders). Slack's legacy
 * `user_name` is only the fallback. One lookup per person at a time; a failed lookup is retried
 * after a minute, a found name kept for `ttlMs`.
 */
export class SlackPeople {
  private readonly names = new Map<string, { name: string | undefined; at: number }>();
  private readonly inFlight = new Map<string, Promise<string | undefined>>();
  private readonly emails = new Map<string, { person: SlackPerson | undefined; at: number }>();
  private readonly emailsInFlight = new Map<string, Promise<SlackPerson | undefined>>();

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

  /**
   * The person whose Slack account has this email (`users.lookupByEmail`, scope `users:read.email`):
   * how a PagerDuty on-call is mentioned and DMed. Undefined when nobody in the workspace has it
   * (`users_not_found`) or the account is deactivated — asked again after a minute; a person found is
   * kept for `ttlMs`, and their name serves `cached` and `displayName` too. One lookup per address at
   * a time, matched without regard to case. Any other failure (a missing scope, a rate limit, Slack
   * down) throws FaultlineError('adapter_error') and is not remembered: "cannot ask" is not "nobody".
   */
  async byEmail(email: string): Promise<SlackPerson | undefined> {
    const key = email.trim().toLowerCase();
    if (key === '') return undefined;
    const known = this.emails.get(key);
    if (known && this.now() - known.at < (known.person ? this.ttlMs : RETRY_NOT_FOUND_MS)) return known.person;
    let lookup = this.emailsInFlight.get(key);
    if (!lookup) {
      lookup = this.lookUpEmail(key, email.trim()).finally(() => this.emailsInFlight.delete(key));
      this.emailsInFlight.set(key, lookup);
    }
    return lookup;
  }

  private async lookUpEmail(key: string, email: string): Promise<SlackPerson | undefined> {
    let user: SlackUser | undefined;
    try {
      user = (await this.client.users.lookupByEmail({ email })).user;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const slackError = code === ErrorCode.PlatformError ? (err as { data?: { error?: string } }).data?.error : undefined;
      if (slackError !== undefined && NOT_FOUND.has(slackError)) return this.remember(key, undefined);
      const hint = slackError === 'missing_scope' ? ' (the app needs the users:read.email scope: reinstall it from deploy/slack-app-manifest.yaml)' : '';
      throw new FaultlineError('adapter_error', `Slack users.lookupByEmail failed: ${slackError ?? errorText(err)}${hint}`, { method: 'users.lookupByEmail', ...(slackError ? { slackError } : {}) }, { cause: err });
    }
    if (!user?.id || user.deleted) {
      this.log.debug({ userId: user?.id, deleted: user?.deleted ?? false }, 'users.lookupByEmail: no active person with that email');
      return this.remember(key, undefined);
    }
    const name = nameOf(user);
    this.names.set(user.id, { name, at: this.now() });
    return this.remember(key, { userId: user.id, ...(name !== undefined ? { name } : {}) });
  }

  private remember(key: string, person: SlackPerson | undefined): SlackPerson | undefined {
    this.emails.set(key, { person, at: this.now() });
    return person;
  }
}
