import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineMetrics } from '../engine/engine-metrics.js';
import type { OpsRoute } from './ops-routes.js';
import { errorText } from '../core/errors.js';

/**
 * The bot's own Prometheus metrics, on a registry of its own (never prom-client's global one).
 * Experiments and game days by state are read from the store at scrape time, so they are right after a restart.
 */
export function createBotMetrics(
  states: () => Record<string, number>,
  gameDayStates: () => Record<string, number> = () => ({}),
): { registry: Registry; engine: EngineMetrics; route: OpsRoute } {
  const registry = new Registry();
  registry.setDefaultLabels({ app: 'faultline' });
  new Gauge({
    name: 'faultline_experiments',
    help: 'Experiments by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of Object.entries(states())) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'faultline_gamedays',
    help: 'Game days by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [state, n] of Object.entries(gameDayStates())) this.set({ state }, n);
    },
  });
  const aborts = new Counter({ name: 'faultline_aborts_total', help: 'Aborted experiments by reason', labelNames: ['reason'], registers: [registry] });
  const rounds = new Histogram({
    name: 'faultline_guardrail_evaluation_seconds',
    help: 'One guardrail round: sampling every signal and evaluating, by outcome',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const unknown = new Counter({ name: 'faultline_signal_unknown_total', help: 'Signal readings that came back unknown (errors, timeouts, no data)', labelNames: ['source'], registers: [registry] });
  const revertFailures = new Counter({ name: 'faultline_revert_failures_total', help: 'Reverts that failed after their retries', labelNames: ['adapter'], registers: [registry] });
  const chatErrors = new Counter({ name: 'faultline_chat_errors_total', help: 'Chat API calls that failed', labelNames: ['call'], registers: [registry] });
  const handshakes = new Counter({ name: 'faultline_oncall_handshakes_total', help: 'On-call handshakes by how they ended (unreachable: the on-call could not be asked)', labelNames: ['outcome'], registers: [registry] });
  const handshakeWait = new Histogram({
    name: 'faultline_oncall_handshake_seconds',
    help: 'From asking the on-call to the end of the handshake, by outcome',
    labelNames: ['outcome'],
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const engine: EngineMetrics = {
    aborted: (code) => aborts.inc({ reason: code }),
    guardrailRound: (ms, outcome) => rounds.observe({ outcome }, ms / 1000),
    signalUnknown: (source) => unknown.inc({ source }),
    revertFailed: (adapter) => revertFailures.inc({ adapter }),
    chatError: (call) => chatErrors.inc({ call }),
    onCallHandshake: (outcome, waitedMs) => {
      handshakes.inc({ outcome });
      if (waitedMs !== undefined) handshakeWait.observe({ outcome }, waitedMs / 1000);
    },
  };
  const route: OpsRoute = {
    path: '/metrics',
    method: ['GET'],
    handler: (_req, res) => {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(errorText(err));
        },
      );
    },
  };
  return { registry, engine, route };
}
