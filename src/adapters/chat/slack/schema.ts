import { z } from 'zod';
import { Duration } from '../../../core/duration.js';

/** Slack settings from the config file. Tokens and the signing secret come only from the environment. */
export const SlackSettings = z.strictObject({
  /** Socket Mode when SLACK_APP_TOKEN is set, HTTP when only SLACK_SIGNING_SECRET is; `mode` forces one. */
  mode: z.enum(['socket', 'http']).optional(),
  /** Path Slack posts commands and interactions to in HTTP mode. */
  endpoint: z.string().startsWith('/').default('/slack/events'),
  /** A Slack user group (S…) whose members may approve, in addition to `approvers`. */
  approverGroup: z.string().regex(/^S[A-Z0-9]+$/, 'a user group id like S0123ABCD').optional(),
  approverGroupCacheTtl: Duration.default(5 * 60_000),
  /**
   * How approvers are asked: `channel`, by mentions on the card; `dm`, by a direct message each (the
   * group's members too), the card then pinging nobody; `both`. Needs `im:write` for DMs.
   */
  notifyApprovers: z.enum(['channel', 'dm', 'both']).default('channel'),
  /** How long the Web API client keeps retrying a call while Slack is down or rate limiting. */
  retries: z.number().int().min(0).max(20).default(10),
  /** How long one chat call may keep waiting out 429s (each wait is exactly Retry-After). */
  rateLimitMaxWait: Duration.default(15 * 60_000),
});
export type SlackSettings = z.infer<typeof SlackSettings>;

export interface SlackSecrets {
  botToken: string;
  appToken?: string;
  signingSecret?: string;
  apiUrl?: string;
}
