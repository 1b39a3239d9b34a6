import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.js';
import type { SignalSource, TargetDriver } from '../core/ports.js';
import type { ChatPort } from '../core/ports.js';
import type { EngineDeps } from '../engine/engine-deps.js';
import { createEngine, type Engine } from '../engine/index.js';
import type { ReconcileReport } from '../engine/experiments/reconcile.js';
import { engineSettings } from './engine-settings.js';
import { loadPlaybooks, type FileReport, type LoadedGameDay, type LoadedPlaybook } from '../playbooks/load-playbooks.js';
import { openStore, type Store } from '../store/index.js';
import type { Config, LoadedConfig } from './config.js';
import { storeOptions } from './config.js';
import { incidentSettings, wirePagerDuty } from './pagerduty-wiring.js';
import { wireGrafana } from './grafana-wiring.js';
import { within } from '../lib/within.js';
import { combineTransitions } from './transition-hooks.js';
import { wireSchedules } from './schedule-wiring.js';
import { createBotMetrics } from './bot-metrics.js';
import type { OpsRoute } from './ops-routes.js';
import { buildSignals, buildTargets } from './registries.js';
import { signalSettings, targetSettings } from './adapter-settings.js';
import { fencedTargets, type Fence } from './replica/fence.js';
import { claimSqliteStore } from './store-claim.js';

export interface App {
  config: Config;
  store: Store;
  /** The engine as built (src/engine/index.ts). */
  engine: Engine;
  targets: Map<string, TargetDriver>;
  signals: Map<string, SignalSource>;
  playbooks: Map<string, LoadedPlaybook>;
  playbookReports: FileReport[];
  reconcileReport: ReconcileReport;
  /** `GET /metrics`: the bot's own Prometheus metrics. */
  metricsRoute: OpsRoute;
  /** The registry behind it (a replica adds its own gauges beside it). */
  metricsRegistry: Registry;
  /** `POST /webhooks/pagerduty`, when PagerDuty is configured. */
  webhookRoute?: OpsRoute;
  /** Aborts and reverts whatever runs, waits for it, then closes the store. */
  shutdown(reason: string): Promise<void>;
}

/** Values playbooks may use as `${name}`: the sandbox addresses, then whatever config adds. */
export function playbookVars(config: Config, sandbox?: { proxyUrl: string; adminUrl: string }): Record<string, string> {
  const host = config.sandbox.host;
  return {
    sandboxProxy: sandbox?.proxyUrl ?? `http://${host}:${config.sandbox.proxyPort}`,
    sandboxAdmin: sandbox?.adminUrl ?? `http://${host}:${config.sandbox.adminPort}`,
    ...config.playbooks.vars,
  };
}

/**
 * The composition root: opens the store, builds adapters, loads playbooks, wires the engine and
 * reconciles what a previous run left behind. No logic lives here.
 */
export async function createApp(opts: {
  config: Config;
  chat: ChatPort;
  log: Logger;
  clock?: Clock;
  vars: Record<string, string>;
  cwd?: string;
  extraApprovers?: EngineDeps['extraApprovers'];
  /** Secrets from the environment (PagerDuty's token, webhook secrets, routing key). */
  env?: LoadedConfig['env'];
  /** Whether the bot serves HTTP, so signed webhooks can reach it (default true; the console without a port: false). */
  httpServed?: boolean;
  /** A replica that leads: every journal append and every inject or revert passes its lease first. */
  fence?: (store: Store) => Fence;
}): Promise<App> {
  const { config, log } = opts;
  const cwd = opts.cwd ?? process.cwd();
  const clock = opts.clock ?? systemClock();
  const store = openStore(storeOptions(config, cwd));
  const fence = opts.fence?.(store);
  if (fence) store.fenceWrites(() => fence.assert());
  // A SQLite file is one engine's: refused before anything (recovery above all) touches it.
  let claim: { release(): void } | undefined;
  if (!config.store.url && config.store.path !== ':memory:') {
    try {
      claim = claimSqliteStore(store, log);
    } catch (err) {
      store.close();
      throw err;
    }
  }
  const metrics = createBotMetrics(() => store.experiments.countByState(), () => store.gamedays.countByState());
  const httpServed = opts.httpServed ?? true;
  const pagerduty = opts.env ? wirePagerDuty(config, opts.env, log, opts.chat, { httpServed }) : undefined;
  // Told after every transition: PagerDuty's change events, then Grafana's annotations (each returns at once).
  const grafana = wireGrafana(config, opts.env ?? {}, log);
  const onTransition = combineTransitions(pagerduty?.onTransition, grafana?.onTransition);
  const adapterDeps = { log, now: () => clock.now() };
  // The Kubernetes adapter also learns what is protected; the pods signal reads the cluster it acts on.
  const built = buildTargets(targetSettings(config), adapterDeps);
  const targets = fence ? fencedTargets(built, fence) : built;
  const signals = buildSignals(signalSettings(config), adapterDeps);
  // Filled after recovery: the engine reads playbooks through these getters, and a revert never needs one.
  let loaded: { playbooks: Map<string, LoadedPlaybook>; gamedays: Map<string, LoadedGameDay>; reports: FileReport[] } = { playbooks: new Map(), gamedays: new Map(), reports: [] };
  const engine = createEngine({
    store,
    targets,
    signals,
    chat: opts.chat,
    clock,
    log,
    playbooks: () => loaded.playbooks,
    invalidPlaybooks: () => loaded.reports.filter((r) => !r.ok),
    gamedays: () => loaded.gamedays,
    ...(opts.extraApprovers ? { extraApprovers: opts.extraApprovers } : {}),
    metrics: metrics.engine,
    // Without PagerDuty configured the gate still sees playbooks' own `pagerduty.services` (and refuses them).
    incidents: pagerduty?.incidents ?? { settings: incidentSettings(config, opts.env ?? {}, httpServed) },
    ...(onTransition ? { onTransition } : {}),
    ...(pagerduty?.onCalls ? { onCalls: pagerduty.onCalls } : {}),
    settings: engineSettings(config, cwd),
    schedules: config.schedules,
  });

  // Recovery first: before playbooks, chat or anything else that can fail on input.
  try {
    // A game day cut off mid-step is interrupted first, so the step's recovery does not read as its verdict.
    const interrupted = engine.gamedays.interruptRunning((n) => `the bot restarted during step ${n}`);
    if (interrupted.length > 0) log.warn({ gameDays: interrupted }, 'game days interrupted by a restart');
  } catch (err) {
    log.error({ err }, 'interrupting game days at start-up failed');
  }
  const reconcileReport = await engine.reconcile('startup');
  if (reconcileReport.recovered.length + reconcileReport.orphansReverted.length > 0) log.warn({ ...reconcileReport }, 'reconciled faults left by a previous run');

  // File by file; a bad file is its own report and never stops the bot.
  loaded = loadPlaybooks(config.playbooks.dirs.map((d) => path.resolve(cwd, d)), { targets, signals }, opts.vars, { maxFileBytes: config.playbooks.maxFileBytes });
  const { playbooks, reports } = loaded;
  for (const r of reports.filter((x) => !x.ok)) log.warn({ file: r.file, problems: r.problems }, 'playbook skipped: invalid');
  const attached = pagerduty?.attach(engine.incidents);
  // After the reconcile: slots missed while the bot was down are handled by the runner's first tick.
  const schedules = wireSchedules({ settings: config.schedules, runner: engine.scheduleRunner, store, log });
  const reconciler = engine.startReconcileLoop(config.engine.reconcileInterval);
  const sweeper = setInterval(() => {
    try {
      engine.expireStale();
    } catch (err) {
      log.error({ err }, 'expiry sweep failed');
    }
  }, 30_000);
  sweeper.unref();

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (closing ??= (async () => {
      clearInterval(sweeper);
      await reconciler.stop();
      attached?.stop();
      await schedules.stop();
      engine.onCalls.stop();
      try {
        engine.gamedays.interruptRunning((n) => `the bot shut down during step ${n} (${reason})`);
      } catch (err) {
        log.error({ err }, 'interrupting game days at shutdown failed');
      }
      for (const entry of engine.experiments.running()) {
        try {
          engine.experiments.abort(entry.record.id, { id: 'faultline', name: 'Faultline' }, reason, 'shutdown');
        } catch (err) {
          log.error({ experimentId: entry.record.id, err }, 'abort at shutdown failed');
        }
      }
      await engine.runner.settle();
      engine.runner.faults.stop();
      await engine.gamedays.settle();
      await engine.notifier.flush();
      // The end annotations of runs aborted just now, given a moment (Grafana may be slow or gone).
      if (grafana) await within(grafana.settle(), 3000);
      claim?.release();
      store.close();
    })());

  return { config, store, engine, targets, signals, playbooks, playbookReports: reports, reconcileReport, metricsRoute: metrics.route, metricsRegistry: metrics.registry, ...(attached ? { webhookRoute: attached.route } : {}), shutdown };
}
