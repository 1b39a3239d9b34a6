import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { FaultlineError, wrapError } from '../../../core/errors.js';
import { formatIssues } from '../../../core/format-issues.js';
import type { AdapterLogger } from '../../../core/ports.js';
import { WebhookEnvelope, WebhookIncidentData, type Incident } from './schema.js';
import { verifyPagerDutySignature } from './signature.js';

export const PAGERDUTY_WEBHOOK_PATH = '/webhooks/pagerduty';
/** PagerDuty drops webhooks over 256 KB; 1 MiB leaves room and still bounds what a stranger can send. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface IncidentEvent {
  eventId: string;
  eventType: 'incident.triggered' | 'incident.acknowledged' | 'incident.resolved' | 'incident.reopened' | (string & {});
  occurredAt: number;
  incident: Incident;
}

const DataType = z.object({ type: z.string() });

/**
 * Reads one Webhooks v3 delivery. Null for events that are not about an incident's state (service
 * events, notes, responders, status updates); throws FaultlineError('adapter_error') when the body is
 * not JSON or not a v3 event, naming the field that is wrong.
 */
export function parseWebhookBody(raw: string): IncidentEvent | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw wrapError('adapter_error', 'PagerDuty webhook body is not JSON', err);
  }
  const envelope = WebhookEnvelope.safeParse(json);
  if (!envelope.success) {
    throw new FaultlineError('adapter_error', `PagerDuty webhook is not a v3 event:\n${formatIssues(envelope.error.issues)}`);
  }
  const ev = envelope.data.event;
  if (ev.resource_type !== 'incident') return null;
  const dataType = DataType.safeParse(ev.data);
  if (!dataType.success || dataType.data.type !== 'incident') return null;
  const data = WebhookIncidentData.safeParse(ev.data);
  if (!data.success) {
    throw new FaultlineError('adapter_error', `PagerDuty ${ev.event_type} webhook has an unexpected incident:\n${formatIssues(data.error.issues, ['event', 'data'])}`, {
      eventId: ev.id,
    });
  }
  const d = data.data;
  const incident: Incident = {
    id: d.id,
    ...(d.number !== undefined ? { number: d.number } : {}),
    title: d.title,
    status: d.status,
    urgency: d.urgency,
    url: d.html_url,
    serviceId: d.service.id,
    ...(d.service.summary !== undefined ? { serviceName: d.service.summary } : {}),
    createdAt: d.created_at,
  };
  // The v3 incident carries no acknowledgement or resolution times; the event's own time is one.
  if (d.status === 'triggered') {
    incident.acknowledgedAt = null;
    incident.resolvedAt = null;
  } else if (d.status === 'acknowledged') {
    if (ev.event_type === 'incident.acknowledged') incident.acknowledgedAt = ev.occurred_at;
    incident.resolvedAt = null;
  } else if (ev.event_type === 'incident.resolved') {
    incident.resolvedAt = ev.occurred_at;
  }
  return { eventId: ev.id, eventType: ev.event_type, occurredAt: ev.occurred_at, incident };
}

/** Remembers the last `max` ids, oldest forgotten first. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly max: number) {}
  /** True the first time an id is offered. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return resolve('too_large');
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve('too_large');
      } else chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export interface PagerDutyWebhookOptions {
  /** Read on every delivery, so a rotated secret takes effect without a restart. */
  secrets: () => readonly string[];
  /** Called after the answer has gone out; may be slow or async, its failures are logged. */
  onEvent: (e: IncidentEvent) => void | Promise<void>;
  log: AdapterLogger;
  /** How many delivery ids are remembered for de-duplication (default 10 000). */
  seen?: number;
}

export interface PagerDutyWebhookRoute {
  path: '/webhooks/pagerduty';
  method: ['POST'];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * `POST /webhooks/pagerduty` (Webhooks v3), in the shape of an OpsRoute. Order matters: the body is
 * read (≤ 1 MiB, else 413), the signature checked (401 and a warning, never acted on), repeats of an
 * `X-Webhook-Id` dropped, and 202 sent before any parsing or handling, which then runs on its own
 * turn of the event loop. A signed body Faultline cannot read still gets 202: PagerDuty counts 4xx
 * answers as failed deliveries and disables a subscription after three in a row.
 */
export function pagerDutyWebhookRoute(opts: PagerDutyWebhookOptions): PagerDutyWebhookRoute {
  const { log } = opts;
  const recent = new RecentIds(opts.seen ?? 10_000);

  const handle = (raw: Buffer, webhookId: string | undefined): void => {
    let event: IncidentEvent | null;
    try {
      event = parseWebhookBody(raw.toString('utf8'));
    } catch (err) {
      log.error({ webhookId, err }, 'pagerduty webhook unreadable');
      return;
    }
    if (!event) {
      log.debug({ webhookId }, 'pagerduty webhook ignored (not an incident event)');
      return;
    }
    if (!recent.add(`event:${event.eventId}`)) {
      log.debug({ webhookId, eventId: event.eventId }, 'pagerduty webhook duplicate event ignored');
      return;
    }
    const meta = { webhookId, eventId: event.eventId, eventType: event.eventType, incidentId: event.incident.id, serviceId: event.incident.serviceId };
    log.info(meta, 'pagerduty incident event');
    const failed = (err: unknown) => log.error({ ...meta, err }, 'pagerduty incident handler failed');
    try {
      const result = opts.onEvent(event);
      if (result && typeof result.then === 'function') result.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  };

  return {
    path: PAGERDUTY_WEBHOOK_PATH,
    method: ['POST'],
    handler: (req, res) => {
      if (req.method !== 'POST') return answer(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' });
      const webhookId = headerValue(req, 'x-webhook-id');
      readBody(req, MAX_WEBHOOK_BYTES).then(
        (raw) => {
          if (raw === 'too_large') {
            log.warn({ webhookId, limitBytes: MAX_WEBHOOK_BYTES }, 'pagerduty webhook rejected (body too large)');
            answer(res, 413, { error: 'body_too_large', limitBytes: MAX_WEBHOOK_BYTES }, { connection: 'close' });
            req.resume();
            return;
          }
          const signature = headerValue(req, 'x-pagerduty-signature');
          const secrets = opts.secrets();
          if (!verifyPagerDutySignature(raw, signature, secrets)) {
            const reason = secrets.length === 0 ? 'no webhook secret configured' : signature ? 'signature does not match' : 'unsigned';
            log.warn({ webhookId, reason, remoteAddress: req.socket.remoteAddress }, 'pagerduty webhook rejected');
            return answer(res, 401, { error: 'invalid_signature' });
          }
          if (webhookId !== undefined && !recent.add(`webhook:${webhookId}`)) {
            log.debug({ webhookId }, 'pagerduty webhook redelivery ignored');
            return answer(res, 202, { status: 'duplicate' });
          }
          answer(res, 202, { status: 'accepted' });
          setImmediate(() => handle(raw, webhookId));
        },
        (err: unknown) => {
          log.warn({ webhookId, err }, 'pagerduty webhook body not read');
          if (!res.headersSent) answer(res, 400, { error: 'body_not_read' });
        },
      );
    },
  };
}
