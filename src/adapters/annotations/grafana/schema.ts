import { z } from 'zod';
import { Duration } from '../../../core/duration.js';

const HttpUrl = z
  .string()
  .url('a URL such as https://grafana.example.com')
  .refine((u) => /^https?:\/\//i.test(u), 'an http:// or https:// URL');

/**
 * The `grafana` block of the bot's config file: the one schema of it (the app imports it). The
 * service-account token is never here: it comes from GRAFANA_TOKEN (see README).
 */
export const GrafanaSettings = z
  .strictObject({
    url: HttpUrl.describe('where Grafana answers, e.g. https://grafana.example.com (GRAFANA_URL overrides it)'),
    dashboardUid: z
      .string()
      .min(1)
      .optional()
      .describe('tie the annotations to this dashboard (dashboardUID); without it they are organization annotations, shown by tag'),
    panelId: z.number().int().positive().optional().describe('and to this panel of it; needs dashboardUid'),
    timeout: Duration.default(5_000).describe('the longest one request may take, e.g. "5s" (parsed to ms)'),
  })
  .refine((s) => s.panelId === undefined || s.dashboardUid !== undefined, { message: 'panelId needs dashboardUid', path: ['panelId'] });
export type GrafanaSettings = z.infer<typeof GrafanaSettings>;

/**
 * The adapter's config: the block as parsed (durations in ms), the token from the environment and the
 * retry policy. `create` parses it, so a caller may leave every defaulted field out.
 */
export const GrafanaConfig = z.strictObject({
  url: HttpUrl,
  dashboardUid: z.string().min(1).optional(),
  panelId: z.number().int().positive().optional(),
  timeout: z.number().int().positive().default(5_000).describe('ms'),
  token: z.string().min(1).describe('GRAFANA_TOKEN: a service-account token allowed annotations:create and annotations:write'),
  retries: z.number().int().min(0).max(5).default(2).describe('further tries after a 429, a 5xx or a refused connection'),
  retryBackoff: z.number().int().min(0).default(500).describe('the wait before the first retry (ms); doubled for each next one'),
  /** Annotations waiting or in flight, over every experiment; past it new ones are dropped (and logged). */
  maxPending: z.number().int().min(1).default(200),
});
export type GrafanaConfig = z.infer<typeof GrafanaConfig>;
/** What a caller writes: every defaulted field may be left out. */
export type GrafanaConfigInput = z.input<typeof GrafanaConfig>;

// ---- Wire formats of Grafana's annotations API (`/api/annotations`). Grafana adds fields over
// ---- time, so answers are not strict: unknown keys are dropped, every field read is checked.

/** `POST /api/annotations`: `time` and `timeEnd` in epoch milliseconds; `text` is required. */
export const CreateAnnotation = z.strictObject({
  dashboardUID: z.string().min(1).optional(),
  panelId: z.number().int().optional(),
  time: z.number().int().nonnegative(),
  timeEnd: z.number().int().nonnegative().optional(),
  tags: z.array(z.string().min(1)),
  text: z.string().min(1),
});
export type CreateAnnotation = z.infer<typeof CreateAnnotation>;

/** `PATCH /api/annotations/:id`: only the fields given change. */
export const PatchAnnotation = z.strictObject({
  time: z.number().int().positive().optional(),
  timeEnd: z.number().int().positive().optional(),
  tags: z.array(z.string().min(1)).optional(),
  text: z.string().min(1).optional(),
});
export type PatchAnnotation = z.infer<typeof PatchAnnotation>;

/** The answer to a create: `{"message":"Annotation added","id":1}`. */
export const AnnotationAdded = z.object({ id: z.number().int().positive(), message: z.string().optional() });
