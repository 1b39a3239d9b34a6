import { z } from 'zod';
import { Duration } from '../../../core/duration.js';

/** Adapter settings (`adapters.signals.http` in the bot's config). */
export const HttpSignalConfig = z.strictObject({
  defaultTimeout: Duration.default(2_000).describe('timeout of a probe whose query sets none, e.g. "2s"'),
});
export type HttpSignalConfig = z.infer<typeof HttpSignalConfig>;

/** A playbook's `signal` for `source: http`: one GET, read as a JSON number, a status code or a duration. */
export const httpSignalSchema = z
  .strictObject({
    source: z.literal('http'),
    url: z.string().url(),
    measure: z
      .enum(['json', 'status', 'latency'])
      .default('json')
      .describe('json: a number at `path` in the body; status: the status code; latency: the call in ms'),
    path: z.string().min(1).optional().describe('dotted path into the JSON body, e.g. stats.errorRate or items.0.value'),
    timeoutMs: z.number().int().positive().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.measure === 'json' && q.path === undefined) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'path is required when measure is json (e.g. errorRate)' });
    }
  });
export type HttpSignalQuery = z.infer<typeof httpSignalSchema>;
export type HttpSignalQueryInput = z.input<typeof httpSignalSchema>;
