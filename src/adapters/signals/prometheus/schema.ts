import { z } from 'zod';
import { Duration } from '../../../core/duration.js';
import { promqlSyntaxError } from './promql.js';

/** Adapter settings (`adapters.signals.prometheus`); the URL and credentials come from the environment. */
export const PrometheusSignalConfig = z.strictObject({
  url: z.string().url().optional().describe('PROMETHEUS_URL, e.g. http://prometheus.monitoring:9090'),
  bearerToken: z.string().min(1).optional().describe('PROMETHEUS_BEARER_TOKEN'),
  basicAuth: z.strictObject({ username: z.string(), password: z.string() }).optional().describe('PROMETHEUS_USERNAME / PROMETHEUS_PASSWORD'),
  defaultTimeout: Duration.default(3_000).describe('timeout of a query that sets none, e.g. "3s" (the engine\'s signal timeout still caps it)'),
});
export type PrometheusSignalConfig = z.infer<typeof PrometheusSignalConfig>;

/** A playbook's `signal` for `source: prometheus`: one PromQL instant query, reduced to one number. */
export const prometheusSignalSchema = z.strictObject({
  source: z.literal('prometheus'),
  query: z
    .string()
    .min(1)
    .superRefine((query, ctx) => {
      const problem = promqlSyntaxError(query);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe('PromQL, evaluated as an instant query at sampling time; parsed with the Prometheus grammar when the playbook is checked'),
  reduce: z
    .enum(['max', 'min', 'sum', 'avg', 'first'])
    .default('max')
    .describe('how a vector of several series becomes one reading (max is the cautious choice for a guardrail)'),
  timeoutMs: z.number().int().positive().optional(),
});
export type PrometheusSignalQuery = z.infer<typeof prometheusSignalSchema>;
