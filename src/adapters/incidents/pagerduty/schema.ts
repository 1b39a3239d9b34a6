import { z } from 'zod';
import { Duration } from '../../../core/duration.js';

/** An ISO 8601 time as PagerDuty writes it ("2020-04-09T15:16:27Z"), parsed to epoch milliseconds. */
const IsoTime = z.string().transform((text, ctx) => {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO 8601 time, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
const EpochMs = z.number().int().nonnegative();

export const IncidentStatus = z.enum(['triggered', 'acknowledged', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/**
 * A PagerDuty incident as Faultline sees it, from a webhook or the REST API alike. For
 * `acknowledgedAt` / `resolvedAt`, `null` means "not (yet)" and an absent field means "not known".
 */
export const Incident = z.strictObject({
  id: z.string().min(1),
  number: z.number().int().optional(),
  title: z.string(),
  status: IncidentStatus,
  urgency: z.enum(['high', 'low']),
  url: z.string().min(1).describe('html_url: where a person opens the incident'),
  serviceId: z.string().min(1),
  serviceName: z.string().optional(),
  createdAt: EpochMs,
  acknowledgedAt: EpochMs.nullable().optional(),
  resolvedAt: EpochMs.nullable().optional(),
});
export type Incident = z.infer<typeof Incident>;

/**
 * The `pagerduty` block of the bot's config file: the one schema of it (the app imports it). The
 * token, webhook secrets and routing key are never here: they come from the environment (see README).
 */
export const PagerDutySettings = z.strictObject({
  linkedServices: z.array(z.string().min(1)).default([]).describe('PagerDuty service ids linked to every experiment'),
  apiUrl: z.string().url().default('https://api.pagerduty.com').describe('PAGERDUTY_API_URL overrides it'),
  eventsUrl: z.string().url().default('https://events.pagerduty.com').describe('PAGERDUTY_EVENTS_URL overrides it'),
  pollInterval: Duration.default(15_000).describe('how often open incidents on linked services are polled (parsed to ms)'),
  requestTimeout: Duration.default(5_000).describe('timeout of each REST and Events API call, e.g. "5s" (parsed to ms)'),
  // The start gate's settings: read by the engine, not by the adapter.
  autoFreeze: z.boolean().default(true).describe('block new starts on a service while a high-urgency incident is open there'),
  freezeMax: Duration.default(2 * 3_600_000).describe('a freeze lifts by itself after this long'),
  gate: z
    .union([z.enum(['on', 'off']), z.boolean()])
    .transform((v) => (v === true || v === 'on' ? ('on' as const) : ('off' as const)))
    .default('on')
    .describe('on: a start on a linked service is refused while PagerDuty cannot be asked or incidents cannot be learned; off: it goes ahead'),
});
export type PagerDutySettings = z.infer<typeof PagerDutySettings>;

/** The adapter's config: the block's connection fields plus the secrets from the environment. */
export const PagerDutyConfig = PagerDutySettings.omit({ autoFreeze: true, freezeMax: true, gate: true }).extend({
  apiToken: z.string().min(1).optional().describe('PAGERDUTY_API_TOKEN: REST API token with read access'),
  webhookSecrets: z
    .array(z.string().min(1))
    .default([])
    .describe('PAGERDUTY_WEBHOOK_SECRET (comma-separated): v3 signing secrets; two during a rotation'),
  routingKey: z.string().min(1).optional().describe('PAGERDUTY_ROUTING_KEY: Events API v2 integration key for change events'),
});
export type PagerDutyConfig = z.infer<typeof PagerDutyConfig>;
/** What a caller writes: every defaulted field may be left out. */
export type PagerDutyConfigInput = z.input<typeof PagerDutyConfig>;

// ---- Wire formats. PagerDuty adds fields over time, so these objects are not strict: unknown keys
// ---- are dropped, but every field Faultline reads is checked.

const ServiceReference = z.object({ id: z.string().min(1), summary: z.string().optional() });

/** `event.data` of a Webhooks v3 incident event (`data.type: incident`). */
export const WebhookIncidentData = z.object({
  id: z.string().min(1),
  type: z.literal('incident'),
  html_url: z.string().min(1),
  number: z.number().int().optional(),
  status: IncidentStatus,
  created_at: IsoTime,
  title: z.string(),
  service: ServiceReference,
  // Absent urgency is read as high: an incident Faultline cannot classify counts as serious.
  urgency: z.enum(['high', 'low']).default('high'),
});

/** The Webhooks v3 envelope: one event per delivery. */
export const WebhookEnvelope = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string().min(1),
    occurred_at: IsoTime,
    data: z.unknown(),
  }),
});

/** One incident in `GET /incidents` (only the fields Faultline reads). */
export const RestIncident = z.object({
  id: z.string().min(1),
  incident_number: z.number().int().optional(),
  title: z.string(),
  status: IncidentStatus,
  urgency: z.enum(['high', 'low']).default('high'),
  html_url: z.string().min(1),
  service: ServiceReference,
  created_at: IsoTime,
  last_status_change_at: IsoTime.optional(),
  resolved_at: IsoTime.nullable().optional(),
  acknowledgements: z.array(z.object({ at: IsoTime })).default([]),
});

/** `GET /incidents`: one page of classic offset pagination. */
export const RestIncidentPage = z.object({
  incidents: z.array(RestIncident),
  limit: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  more: z.boolean(),
  total: z.number().int().nullable().optional(),
});
export type RestIncidentPage = z.infer<typeof RestIncidentPage>;

/** PagerDuty's REST error body. */
export const RestError = z.object({
  error: z.object({ message: z.string().optional(), code: z.number().optional(), errors: z.array(z.string()).optional() }),
});

/**
 * One person on call for a linked service now, as the on-call handshake asks them: level 1 is the
 * first responder, higher levels are who PagerDuty escalates to. `until` is when this on-call ends
 * (epoch ms); absent when it does not end (the user is an escalation target themselves).
 */
export const OnCall = z.strictObject({
  serviceId: z.string().min(1),
  serviceName: z.string().optional(),
  userId: z.string().min(1),
  name: z.string(),
  email: z.string().optional().describe("the PagerDuty user's email: how Slack finds them (users.lookupByEmail)"),
  escalationLevel: z.number().int().positive(),
  until: EpochMs.optional(),
});
export type OnCall = z.infer<typeof OnCall>;

/** `GET /services/{id}`: the fields the on-call lookup reads. */
export const RestService = z.object({
  service: z.object({
    id: z.string().min(1),
    name: z.string().optional(),
    summary: z.string().optional(),
    escalation_policy: z.object({ id: z.string().min(1), summary: z.string().optional() }),
  }),
});
export type RestService = z.infer<typeof RestService>;

/** One entry of `GET /oncalls`; `user` is a full user with `include[]=users`, else a reference. */
export const RestOnCall = z.object({
  escalation_policy: z.object({ id: z.string().min(1) }),
  escalation_level: z.number().int().positive(),
  user: z.object({ id: z.string().min(1), name: z.string().optional(), summary: z.string().optional(), email: z.string().optional() }),
  // Null for a permanent on-call (a user named in the escalation rule itself).
  start: IsoTime.nullable().optional(),
  end: IsoTime.nullable().optional(),
});
export type RestOnCall = z.infer<typeof RestOnCall>;

/** `GET /oncalls`: one page of classic offset pagination. */
export const RestOnCallPage = z.object({
  oncalls: z.array(RestOnCall),
  limit: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  more: z.boolean(),
  total: z.number().int().nullable().optional(),
});
export type RestOnCallPage = z.infer<typeof RestOnCallPage>;
