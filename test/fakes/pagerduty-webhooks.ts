import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** Webhooks v3 fixtures in test/fixtures/pagerduty/, named after the event type. */
export type WebhookFixture = 'incident.triggered' | 'incident.acknowledged' | 'incident.resolved' | 'incident.reopened' | 'service.updated';

interface FixtureBody {
  event: { id: string; event_type: string; data: { id: string; service?: { id: string; summary: string } } & Record<string, unknown> } & Record<string, unknown>;
}

export function loadWebhookFixture(name: WebhookFixture): FixtureBody {
  return JSON.parse(readFileSync(new URL(`../fixtures/pagerduty/${name}.json`, import.meta.url), 'utf8')) as FixtureBody;
}

/** A fixture as the raw body PagerDuty would send, with the event, incident or service swapped. */
export function webhookBody(name: WebhookFixture, change: { eventId?: string; incidentId?: string; serviceId?: string } = {}): string {
  const body = loadWebhookFixture(name);
  if (change.eventId) body.event.id = change.eventId;
  if (change.incidentId) body.event.data.id = change.incidentId;
  if (change.serviceId && body.event.data.service) body.event.data.service.id = change.serviceId;
  return JSON.stringify(body);
}

/** `X-PagerDuty-Signature` as PagerDuty writes it: one `v1=` HMAC-SHA256 per secret, comma-separated. */
export function signPagerDuty(body: string | Buffer, ...secrets: string[]): string {
  return secrets.map((s) => `v1=${createHmac('sha256', s).update(body).digest('hex')}`).join(',');
}

export interface WebhookAnswer {
  status: number;
  body: string;
  /** performance.now() when the answer's headers arrived. */
  at: number;
}

/** POSTs a raw body with node:http (no client-side rewriting of the body or headers). */
export function postWebhook(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<WebhookAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'PagerDuty-Webhook/V3.0', ...headers } }, (res) => {
      const at = performance.now();
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
