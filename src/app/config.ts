import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_APPROVAL_TTL_MS } from '../core/approval.js';
import { Duration } from '../core/duration.js';
import { DEFAULT_MAX_FILE_BYTES } from '../playbooks/limits.js';
import { FaultlineError } from '../core/errors.js';
import { formatIssues } from '../core/format-issues.js';
import { parseCron } from '../core/cron-match.js';
import { SlackSettings } from '../adapters/chat/slack/schema.js';
import { PagerDutySettings } from '../adapters/incidents/pagerduty/schema.js';
import { GrafanaSettings } from '../adapters/annotations/grafana/schema.js';
import { ScheduleSettings } from '../core/schedule.js';
import { checkAdapterOverrides, envIssueLine, envOverrides, mergeEnv, overrideAt } from './config-env.js';
import { renamedFields } from './config-renamed.js';

export const DEFAULT_CONFIG_FILE = 'faultline.config.yaml';

/** The console's and the demo's users: who approves there when the config names nobody. Never Slack's. */
export const DEMO_APPROVERS: readonly string[] = ['alice', 'bob', 'carol'];

// Said the same way whether the file or PORT gave the value.
const PORT_RANGE = 'expected a port number 0..65535';

/** Everything Faultline reads at start. Secrets are never here: they come from the environment only. */
export const Config = z.strictObject({
  approvers: z
    .array(z.string().regex(/^([A-Za-z0-9_-]+\/)?[A-Za-z0-9._-]+$/, 'a chat user id, or TEAM/USER to pin it to one workspace'))
    .default([])
    .describe('chat user ids allowed to approve (FAULTLINE_APPROVERS, comma-separated, overrides it); Slack refuses to start with none'),
  approvalTtl: Duration.default(DEFAULT_APPROVAL_TTL_MS),
  proposalTtl: Duration.default(24 * 3_600_000),
  protected: z
    .strictObject({
      namespaces: z.array(z.string()).default(['kube-system', 'kube-public', 'kube-node-lease']),
      labels: z.array(z.string()).default(['faultline.dev/protected=true']),
      names: z.array(z.string()).default([]),
    })
    .prefault({}),
  caps: z
    .strictObject({
      maxTargets: z.number().int().min(1).default(10),
      maxPercent: z.number().min(1).max(100).default(67),
      maxConcurrent: z.number().int().min(1).default(3),
      maxDuration: Duration.default(3_600_000),
      /** "Start small": a run hitting more than one target needs a smaller run of the same fault that held within this window. */
      ladder: z.strictObject({ window: Duration.default(30 * 86_400_000) }).optional(),
    })
    .prefault({}),
  engine: z
    .strictObject({
      /** Guardrail rounds start this often (fixed rate); a `for` window is measured in time, not rounds. */
      guardrailInterval: Duration.default(1000),
      /** A guardrail unknown this long is blind (aborts), however few its readings; a playbook's `blindAfter` overrides it. */
      blindAfter: Duration.default(10_000),
      signalTimeout: Duration.default(3000),
      statusInterval: Duration.default(3000),
      postcheckTimeout: Duration.default(30_000),
      targetTimeout: Duration.default(60_000),
      /** How often the running bot asks every target what it holds and reverts what no running experiment owns. */
      reconcileInterval: Duration.default(30_000),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** The SQLite file: the embedded default. */
      path: z.string().default('data/faultline.db'),
      /**
       * A PostgreSQL database instead (postgres://user:password@host:5432/db), for more than one
       * replica; DATABASE_URL sets it, so the password need not be in the file.
       */
      url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'a postgres:// URL, e.g. postgres://faultline@db:5432/faultline').optional(),
    })
    .prefault({}),
  /** Several bots on one PostgreSQL store: one leads (acts), every one answers chat (docs/REPLICAS.md). */
  replicas: z
    .strictObject({
      /** A leader that has not renewed its lease for this long is replaced; takeover is at most this plus `pollEvery`. */
      leaseTtl: Duration.default(10_000),
      /** How often the leader renews its lease (a few renewals may fail before the lease runs out). */
      renewEvery: Duration.default(2000),
      /** How often a follower looks whether the lease is free (a leader letting go wakes it at once). */
      pollEvery: Duration.default(500),
      /** How long a follower waits for the leader to answer a command it handed over. */
      handoffWait: Duration.default(10_000),
    })
    .prefault({})
    .refine((r) => r.renewEvery * 2 <= r.leaseTtl, { message: 'renewEvery must be at most half of leaseTtl, so one missed renewal does not cost the lease', path: ['renewEvery'] }),
  playbooks: z
    .strictObject({
      dirs: z.array(z.string()).default(['playbooks']),
      vars: z.record(z.string(), z.string()).default({}),
      /** A playbook file larger than this is refused unread (YAML parsing time grows with size). */
      maxFileBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(DEFAULT_MAX_FILE_BYTES),
    })
    .prefault({}),
  templates: z
    .strictObject({
      postmortem: z.string().optional().describe("relative to the working directory; default: the template Faultline ships"),
      gamedayReport: z.string().optional().describe("relative to the working directory; default: the template Faultline ships"),
    })
    .prefault({}),
  postmortems: z.strictObject({ dir: z.string().default('data/postmortems') }).prefault({}),
  sandbox: z
    .strictObject({
      autoStart: z.boolean().default(true),
      host: z.string().default('127.0.0.1'),
      proxyPort: z.number().int().min(0).default(7070),
      adminPort: z.number().int().min(0).default(7071),
      replicas: z.number().int().min(1).max(20).default(3),
      rps: z.number().min(0).default(30),
      /** The window `/stats` reads over (what the sandbox playbooks' guardrails and steady state see). */
      statsWindow: Duration.default(10_000),
    })
    .prefault({}),
  adapters: z
    .strictObject({
      targets: z.record(z.string(), z.unknown()).default({}),
      signals: z.record(z.string(), z.unknown()).default({}),
    })
    .prefault({}),
  /** Nothing starts during these: one-off spans, or recurring ones (cron start + duration, in a time zone). */
  freezes: z
    .array(
      z.union([
        z.strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), reason: z.string().min(1) }),
        z.strictObject({
          cron: z.string().refine((c) => parseCron(c) !== null, 'a five-field cron expression, e.g. "0 18 * * 5"'),
          duration: Duration,
          timeZone: z.string().default('UTC'),
          reason: z.string().min(1),
        }),
      ]),
    )
    .default([]),
  /** The HTTP server: Slack in HTTP mode, /healthz (and in Socket Mode the same, on its own). PORT overrides the port. */
  server: z
    .strictObject({
      host: z.string().default('0.0.0.0'),
      port: z.number({ error: PORT_RANGE }).int(PORT_RANGE).min(0, PORT_RANGE).max(65535, PORT_RANGE).default(3000),
    })
    .prefault({}),
  slack: SlackSettings.prefault({}),
  /** PagerDuty: the adapter's schema; token, webhook secrets and routing key come from the environment only. */
  pagerduty: PagerDutySettings.prefault({}),
  /** Grafana annotations for every run (url, optional dashboardUid, timeout); the token comes from GRAFANA_TOKEN only. Absent: none. */
  grafana: GrafanaSettings.optional(),
  /** `/chaos schedule`: whether schedules fire, and how long a standing approval may last. */
  schedules: ScheduleSettings.prefault({}),
  log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
});
export type Config = z.infer<typeof Config>;

/** The console's approvers: the config's, or the demo users when it names nobody (Slack never gets these). */
export function withDemoApprovers(config: Config): Config {
  return config.approvers.length > 0 ? config : { ...config, approvers: [...DEMO_APPROVERS] };
}

/** Where the config came from and what the environment added. */
export interface LoadedConfig {
  config: Config;
  source: string;
  /** True when PORT or the file's `server.port` names the port (the console serves HTTP only then). */
  portConfigured?: boolean;
  env: {
    slackBotToken?: string;
    slackAppToken?: string;
    slackSigningSecret?: string;
    slackApiUrl?: string;
    pagerdutyApiToken?: string;
    pagerdutyWebhookSecrets?: string[];
    pagerdutyRoutingKey?: string;
    grafanaToken?: string;
  };
}

/**
 * Reads the configuration once: the file (flag, FAULTLINE_CONFIG, or ./faultline.config.yaml), or
 * the embedded defaults that run the local sandbox, with the environment's fields (FAULTLINE_DB,
 * FAULTLINE_APPROVERS, PORT, …: config-env.ts) set over it, all in one parse. Secrets go to `env`.
 */
export function readConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? env.FAULTLINE_CONFIG;
  const file = explicit ?? (existsSync(path.resolve(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined);
  let raw: unknown = {};
  let source = 'embedded defaults';
  if (file) {
    const full = path.resolve(cwd, file);
    let text: string;
    try {
      text = readFileSync(full, 'utf8');
    } catch (err) {
      throw new FaultlineError('config_invalid', `cannot read config file ${full}: ${(err as Error).message}`, { file: full });
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new FaultlineError('config_invalid', `${full}: not valid YAML: ${(err as Error).message}`, { file: full });
    }
    source = full;
  }
  // The environment's values go in before the one parse, so the schema checks them and an error names the variable.
  const renamed = renamedFields(raw);
  const overrides = envOverrides(env, renamed.rest);
  const parsed = Config.safeParse(mergeEnv(renamed.rest, overrides));
  const fromFile = [...renamed.lines];
  const fromEnv = checkAdapterOverrides(overrides, env);
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const o = overrideAt(issue.path, overrides);
    if (o) fromEnv.push({ variable: o.variable, line: envIssueLine(o, env, issue.path, issue.message) });
    else fromFile.push(formatIssues([issue]));
  }
  if (fromFile.length + fromEnv.length > 0 || !parsed.success) {
    const where = [...(fromFile.length > 0 ? [source] : []), ...(fromEnv.length > 0 ? ['the environment'] : [])].join(' and ');
    const variables = [...new Set(fromEnv.map((p) => p.variable))];
    throw new FaultlineError('config_invalid', `invalid configuration in ${where}:\n${[...fromFile, ...fromEnv.map((p) => p.line)].join('\n')}`, {
      file: source,
      ...(variables.length > 0 ? { variables } : {}),
    });
  }
  const config = parsed.data;
  if (!file && !explicit) {
    // The embedded defaults point the process target at the sandbox they start.
    config.adapters.targets.process ??= { adminUrl: `http://${config.sandbox.host}:${config.sandbox.adminPort}` };
  }
  if (file) config.sandbox.autoStart = (raw as { sandbox?: { autoStart?: boolean } }).sandbox?.autoStart ?? false;
  const filePort = (raw as { server?: { port?: unknown } } | null)?.server?.port;
  return {
    config,
    source,
    portConfigured: Boolean(env.PORT) || filePort !== undefined,
    env: {
      ...(env.SLACK_BOT_TOKEN ? { slackBotToken: env.SLACK_BOT_TOKEN } : {}),
      ...(env.SLACK_APP_TOKEN ? { slackAppToken: env.SLACK_APP_TOKEN } : {}),
      ...(env.SLACK_SIGNING_SECRET ? { slackSigningSecret: env.SLACK_SIGNING_SECRET } : {}),
      ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
      ...(env.PAGERDUTY_API_TOKEN ? { pagerdutyApiToken: env.PAGERDUTY_API_TOKEN } : {}),
      ...(env.PAGERDUTY_WEBHOOK_SECRET ? { pagerdutyWebhookSecrets: env.PAGERDUTY_WEBHOOK_SECRET.split(',').map((x) => x.trim()).filter(Boolean) } : {}),
      ...(env.PAGERDUTY_ROUTING_KEY ? { pagerdutyRoutingKey: env.PAGERDUTY_ROUTING_KEY } : {}),
      ...(env.GRAFANA_TOKEN ? { grafanaToken: env.GRAFANA_TOKEN } : {}),
    },
  };
}

const SECRET_KEY = /token|secret|password|basicAuth/i;

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : scrub(v)]));
  }
  return value;
}

/** What may be logged: secrets (wherever they sit) shown only as present. */
export function redactedConfig(loaded: LoadedConfig): Record<string, unknown> {
  const secrets = Object.fromEntries(Object.entries(loaded.env).map(([k, v]) => [k, v ? '[redacted]' : undefined]));
  return { source: loaded.source, ...(scrub(loaded.config) as Record<string, unknown>), secrets };
}

/** Where the store is: the PostgreSQL URL when one is set, else the SQLite file resolved against `cwd`. */
export function storeOptions(config: Config, cwd: string): { url: string } | { path: string } {
  if (config.store.url) return { url: config.store.url };
  return { path: config.store.path === ':memory:' ? ':memory:' : path.resolve(cwd, config.store.path) };
}
