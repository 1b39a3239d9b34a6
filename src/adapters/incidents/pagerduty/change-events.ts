import { z } from 'zod';
import { causeText } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AdapterLogger } from '../../../core/ports.js';
import type { PagerDutyConfig } from './schema.js';

/** PagerDuty's limit for `payload.summary`. */
export const MAX_SUMMARY_CHARS = 1024;

export const ChangeEventInput = z.strictObject({
  summary: z.string().min(1),
  source: z.string().min(1).optional(),
  timestamp: z.number().int().nonnegative(),
  links: z.array(z.strictObject({ href: z.string().url(), text: z.string() })).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ChangeEventInput = z.infer<typeof ChangeEventInput>;

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Sends Events API v2 Change Events (`POST {eventsUrl}/v2/change/enqueue`): "a chaos experiment
 * started / was aborted / completed here", shown to responders without paging anyone. Best effort:
 * without a routing key it does nothing, and a failure is logged, never thrown — a change event must
 * never block or fail an experiment. (Plain fetch: pdjs's `change()` always calls https://<server>.)
 */
export class ChangeEvents {
  constructor(
    private readonly cfg: PagerDutyConfig,
    private readonly log: AdapterLogger,
  ) {}

  get enabled(): boolean {
    return this.cfg.routingKey !== undefined;
  }

  async send(e: ChangeEventInput): Promise<void> {
    const routingKey = this.cfg.routingKey;
    if (!routingKey) return;
    try {
      const input = ChangeEventInput.safeParse(e);
      if (!input.success) {
        this.log.warn({ issues: formatIssues(input.error.issues) }, 'pagerduty change event not sent (invalid)');
        return;
      }
      const { summary, source, timestamp, links, details } = input.data;
      const body = {
        routing_key: routingKey,
        payload: {
          summary: truncate(summary, MAX_SUMMARY_CHARS),
          timestamp: new Date(timestamp).toISOString(),
          source: source ?? 'faultline',
          ...(details ? { custom_details: details } : {}),
        },
        ...(links && links.length > 0 ? { links } : {}),
      };
      const url = new URL('v2/change/enqueue', this.cfg.eventsUrl.endsWith('/') ? this.cfg.eventsUrl : `${this.cfg.eventsUrl}/`);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.cfg.requestTimeout),
      });
      // A body that cannot be read is an empty one: the status still says what happened.
      const text = await res.text().catch(() => '');
      if (res.status === 202 || res.ok) {
        this.log.debug({ status: res.status }, 'pagerduty change event sent');
        return;
      }
      this.log.warn({ status: res.status, answer: text.slice(0, 500) }, 'pagerduty change event refused');
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const reason = timedOut
        ? `no answer within ${this.cfg.requestTimeout} ms`
        : causeText(err);
      this.log.warn({ err: reason }, 'pagerduty change event failed');
    }
  }
}
