import { pagerDutyAdapter, type PagerDutyIntegration } from '../adapters/incidents/pagerduty/index.js';
import { formatDuration } from '../core/duration.js';
import type { ExperimentRecord } from '../core/experiment.js';
import { isTerminal } from '../core/experiment.js';
import type { AdapterLogger, MessageRef } from '../core/ports.js';
import type { ChatPort } from '../core/ports.js';
import type { EngineDeps } from '../engine/engine-deps.js';
import type { IncidentWatch } from '../engine/guards/incident-watch.js';
import type { IncidentSettings } from '../core/ports.js';
import type { Config, LoadedConfig } from './config.js';
import type { OpsRoute } from './ops-routes.js';

export interface PagerDutyWiring {
  integration: PagerDutyIntegration;
  incidents: NonNullable<EngineDeps['incidents']>;
  onTransition: NonNullable<EngineDeps['onTransition']>;
  /** Who is on call (the on-call handshake); undefined without an API token. */
  onCalls: EngineDeps['onCalls'];
  /** Connects the webhook and the poller to the engine; returns what to stop at shutdown. */
  attach(incidents: IncidentWatch): { route: OpsRoute; stop(): void };
}

/** A change event for starts and ends, so responders see "a chaos experiment is running here" without a page. */
function changeSummary(before: ExperimentRecord, after: ExperimentRecord): string | undefined {
  // A blinded drill's responders read PagerDuty too: they hear that a drill runs, not what.
  if (after.gameDay?.blinded) {
    if (before.state !== 'running' && after.state === 'running') return `A drill is running (game day ${after.gameDay.id}); what runs is revealed when it ends`;
    return undefined;
  }
  const what = `chaos experiment ${after.id} (${after.name}): ${after.plan.fault.type} on ${after.plan.targets.map((t) => t.name).join(', ')} for ${formatDuration(after.plan.durationMs)}`;
  if (before.state !== 'running' && after.state === 'running') return `Started ${what}`;
  if (before.state === 'running' && isTerminal(after.state)) {
    const how = after.abort ? `aborted (${after.abort.reason})` : after.state;
    return `Ended ${what}: ${how}${after.verdict ? `, verdict ${after.verdict}` : ''}`;
  }
  return undefined;
}

/**
 * The start gate's settings: the config's block, and how incidents can be learned. Webhooks count
 * only when a secret is set and the bot serves HTTP (`httpServed`: Slack always; the console when a
 * port is configured).
 */
export function incidentSettings(config: Config, env: LoadedConfig['env'], httpServed: boolean): IncidentSettings {
  const { linkedServices, autoFreeze, freezeMax, gate } = config.pagerduty;
  const webhooks = env.pagerdutyWebhookSecrets?.length ? { webhooks: httpServed ? ('served' as const) : ('not-served' as const) } : {};
  return { linkedServices, autoFreeze, freezeMaxMs: freezeMax, gate, ...webhooks };
}

/**
 * PagerDuty for the engine: the gate and freeze, webhook and polling auto-abort, change events.
 * Undefined when nothing of PagerDuty is configured (the engine still gates playbooks' own
 * `pagerduty.services` with `incidentSettings`).
 */
export function wirePagerDuty(config: Config, env: LoadedConfig['env'], log: AdapterLogger, chat?: ChatPort, opts: { httpServed?: boolean } = {}): PagerDutyWiring | undefined {
  const { autoFreeze: _autoFreeze, freezeMax: _freezeMax, gate: _gate, ...rest } = config.pagerduty;
  if (!env.pagerdutyApiToken && !env.pagerdutyWebhookSecrets?.length && !env.pagerdutyRoutingKey && rest.linkedServices.length === 0) return undefined;
  // The block was parsed by the adapter's own schema (PagerDutySettings) in the app's config; the secrets are non-empty there too.
  const integration = pagerDutyAdapter.create(
    {
      ...rest,
      webhookSecrets: env.pagerdutyWebhookSecrets ?? [],
      ...(env.pagerdutyApiToken ? { apiToken: env.pagerdutyApiToken } : {}),
      ...(env.pagerdutyRoutingKey ? { routingKey: env.pagerdutyRoutingKey } : {}),
    },
    { log, now: Date.now },
  );
  return {
    integration,
    incidents: {
      ...(integration.rest ? { lookup: integration.rest } : {}),
      settings: incidentSettings(config, env, opts.httpServed ?? true),
    },
    onCalls: integration.oncalls,
    onTransition: (before: ExperimentRecord, after: ExperimentRecord, card: MessageRef | null) => {
      const summary = changeSummary(before, after);
      if (!summary) return;
      // Link the chat thread when the chat can give a link; never wait long for it.
      // A permalink that cannot be had is left out: the change event goes without the link.
      // A blinded drill's step: no link to its thread and no playbook name (both tell what runs).
      const blinded = after.gameDay?.blinded === true;
      const link = card && chat?.permalink && !blinded ? chat.permalink(card).catch(() => undefined) : Promise.resolve(undefined);
      void link.then((href) =>
        integration.changeEvents.send({
          summary,
          source: 'faultline',
          timestamp: after.updatedAt,
          ...(href ? { links: [{ href, text: `${after.id} in chat` }] } : {}),
          details: blinded
            ? { gameDay: after.gameDay!.id, drill: true, state: after.state }
            : { experiment: after.id, playbook: after.name, state: after.state, ...(card ? { channel: card.channel, thread: card.ts } : {}) },
        }),
      ).catch((err: unknown) => log.warn({ experimentId: after.id, err }, 'pagerduty change event failed'));
    },
    attach(incidents) {
      const poller = integration.poller({ services: () => incidents.watchedServices(), onIncident: (i) => incidents.observe(i, 'poll') });
      poller?.start();
      const route = integration.webhookRoute({ onEvent: (e) => incidents.observe(e.incident, 'webhook', e.eventType, e.occurredAt) });
      return { route: route as unknown as OpsRoute, stop: () => poller?.stop() };
    },
  };
}
