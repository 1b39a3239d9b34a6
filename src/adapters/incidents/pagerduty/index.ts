import type { AdapterDeps } from '../../../core/ports.js';
import { ChangeEvents } from './change-events.js';
import { PagerDutyOnCalls } from './oncalls.js';
import { IncidentPoller, type IncidentPollerOptions } from './poller.js';
import { PagerDutyRest } from './rest.js';
import { PagerDutyConfig } from './schema.js';
import { pagerDutyWebhookRoute, type PagerDutyWebhookOptions, type PagerDutyWebhookRoute } from './webhook.js';

/** Everything the engine and the HTTP server need from PagerDuty, built from one config. */
export interface PagerDutyIntegration {
  config: PagerDutyConfig;
  /** Undefined without an API token: no polling and no incident gate. */
  rest: PagerDutyRest | undefined;
  /** Who is on call now for linked services (the on-call handshake); undefined without an API token. */
  oncalls: PagerDutyOnCalls | undefined;
  /** Always present; a no-op without a routing key. */
  changeEvents: ChangeEvents;
  /** `POST /webhooks/pagerduty`, verified against the configured secrets. */
  webhookRoute(opts: Pick<PagerDutyWebhookOptions, 'onEvent' | 'seen'>): PagerDutyWebhookRoute;
  /** The services one experiment is linked to: its playbook's plus the configured ones, once each. */
  servicesFor(playbookServices: readonly string[]): string[];
  /**
   * Undefined without an API token. `services()` is what the running experiments link to: their
   * playbooks' services plus `config.linkedServices` (see `servicesFor`), [] while nothing runs —
   * and then no request is made.
   */
  poller(opts: Pick<IncidentPollerOptions, 'services' | 'onIncident'>): IncidentPoller | undefined;
}

/** Incidents family: PagerDuty webhooks (auto-abort), REST polling and gate, change events. */
export const pagerDutyAdapter = {
  kind: 'pagerduty',
  configSchema: PagerDutyConfig,
  create(config: PagerDutyConfig, deps: AdapterDeps): PagerDutyIntegration {
    const rest = config.apiToken ? new PagerDutyRest(config, deps.log) : undefined;
    return {
      config,
      rest,
      oncalls: config.apiToken ? new PagerDutyOnCalls(config, deps.log) : undefined,
      changeEvents: new ChangeEvents(config, deps.log),
      servicesFor: (playbookServices) => [...new Set([...config.linkedServices, ...playbookServices])],
      webhookRoute: (opts) => pagerDutyWebhookRoute({ ...opts, secrets: () => config.webhookSecrets, log: deps.log }),
      poller: (opts) =>
        rest &&
        new IncidentPoller({
          rest,
          intervalMs: config.pollInterval,
          services: opts.services,
          onIncident: opts.onIncident,
          log: deps.log,
        }),
    };
  },
};

export { ChangeEventInput, ChangeEvents, MAX_SUMMARY_CHARS } from './change-events.js';
export { firstResponders, PagerDutyOnCalls } from './oncalls.js';
export { IncidentPoller, type IncidentPollerOptions } from './poller.js';
export { PagerDutyRest } from './rest.js';
export { Incident, IncidentStatus, OnCall, PagerDutyConfig, type PagerDutyConfigInput, PagerDutySettings } from './schema.js';
export { verifyPagerDutySignature } from './signature.js';
export {
  MAX_WEBHOOK_BYTES,
  PAGERDUTY_WEBHOOK_PATH,
  pagerDutyWebhookRoute,
  parseWebhookBody,
  type IncidentEvent,
  type PagerDutyWebhookOptions,
  type PagerDutyWebhookRoute,
} from './webhook.js';
