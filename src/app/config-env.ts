import type { z } from 'zod';
import { humanMessage, formatPath } from '../core/format-issues.js';
import { PrometheusSignalConfig } from '../adapters/signals/prometheus/schema.js';

/** One environment variable that sets a config field. */
export interface EnvOverride {
  variable: string;
  path: readonly string[];
  value: unknown;
  /** Never repeated in an error or a log line. */
  secret?: boolean;
  /**
   * The adapter schema's own field, for values under `adapters.*`: the app's config holds adapter
   * settings unparsed (each adapter parses its own block), so these are checked here to name the variable.
   */
  check?: z.ZodType;
}

const list = (text: string) =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The config fields the environment sets (an empty variable counts as unset). They are merged into
 * the file's raw object before the one parse, so the schema checks them like the file's own values.
 */
export function envOverrides(env: NodeJS.ProcessEnv, raw: unknown): EnvOverride[] {
  const out: EnvOverride[] = [];
  const add = (variable: string, path: string[], value: unknown, more: Partial<EnvOverride> = {}) => out.push({ variable, path, value, ...more });
  if (env.FAULTLINE_DB) add('FAULTLINE_DB', ['store', 'path'], env.FAULTLINE_DB);
  // The database URL usually carries a password: never echoed in a message.
  if (env.DATABASE_URL) add('DATABASE_URL', ['store', 'url'], env.DATABASE_URL, { secret: true });
  if (env.FAULTLINE_APPROVERS && list(env.FAULTLINE_APPROVERS).length > 0) add('FAULTLINE_APPROVERS', ['approvers'], list(env.FAULTLINE_APPROVERS));
  // A number when it reads as one; otherwise the text, which the schema then refuses.
  if (env.PORT) add('PORT', ['server', 'port'], /^\d+$/.test(env.PORT.trim()) ? Number(env.PORT) : env.PORT);
  if (env.PAGERDUTY_API_URL) add('PAGERDUTY_API_URL', ['pagerduty', 'apiUrl'], env.PAGERDUTY_API_URL);
  if (env.PAGERDUTY_EVENTS_URL) add('PAGERDUTY_EVENTS_URL', ['pagerduty', 'eventsUrl'], env.PAGERDUTY_EVENTS_URL);
  // Sets the block up when the file has none (GRAFANA_TOKEN, the secret, goes to `env`: config.ts).
  if (env.GRAFANA_URL) add('GRAFANA_URL', ['grafana', 'url'], env.GRAFANA_URL);
  // Prometheus' address and credentials come from the environment, never from the file.
  const prom = ['adapters', 'signals', 'prometheus'];
  if (env.PROMETHEUS_URL) add('PROMETHEUS_URL', [...prom, 'url'], env.PROMETHEUS_URL, { check: PrometheusSignalConfig.shape.url });
  if (env.PROMETHEUS_BEARER_TOKEN) add('PROMETHEUS_BEARER_TOKEN', [...prom, 'bearerToken'], env.PROMETHEUS_BEARER_TOKEN, { secret: true });
  if (env.PROMETHEUS_USERNAME && env.PROMETHEUS_PASSWORD) {
    add('PROMETHEUS_USERNAME/PROMETHEUS_PASSWORD', [...prom, 'basicAuth'], { username: env.PROMETHEUS_USERNAME, password: env.PROMETHEUS_PASSWORD }, { secret: true });
  }
  // The cluster: KUBECONFIG unless the file names one. The pods signal takes the target's (adapter-settings.ts).
  const kube = isRecord(raw) && isRecord(raw.adapters) && isRecord(raw.adapters.targets) ? raw.adapters.targets.kubernetes : undefined;
  if (env.KUBECONFIG && !(isRecord(kube) && kube.kubeconfig !== undefined)) add('KUBECONFIG', ['adapters', 'targets', 'kubernetes', 'kubeconfig'], env.KUBECONFIG);
  return out;
}

/**
 * The raw object with the overrides set in it (a copy). A value the file gives a wrong shape on the
 * way (`store: 5`) is left as it is, so its error names the file.
 */
export function mergeEnv(raw: unknown, overrides: readonly EnvOverride[]): unknown {
  if (!isRecord(raw) || overrides.length === 0) return raw;
  const merged = structuredClone(raw);
  for (const o of overrides) {
    let at: Record<string, unknown> = merged;
    let ok = true;
    for (const key of o.path.slice(0, -1)) {
      at[key] ??= {};
      const next = at[key];
      if (!isRecord(next)) {
        ok = false;
        break;
      }
      at = next;
    }
    if (ok) at[o.path.at(-1)!] = o.value;
  }
  return merged;
}

/** The override an issue at this path comes from, if any. */
export function overrideAt(path: ReadonlyArray<PropertyKey>, overrides: readonly EnvOverride[]): EnvOverride | undefined {
  return overrides.find((o) => o.path.every((seg, i) => path[i] === seg));
}

/** `  - FAULTLINE_APPROVERS="alice,bob smith" (approvers[1]): …`: the variable first, then the field it sets. */
export function envIssueLine(o: EnvOverride, env: NodeJS.ProcessEnv, path: ReadonlyArray<PropertyKey>, message: string): string {
  const given = o.secret ? '' : `=${JSON.stringify(o.variable.split('/').map((v) => env[v]).join('/'))}`;
  return `  - ${o.variable}${given} (${formatPath(path)}): ${humanMessage(message)}`;
}

/** The adapter-level overrides checked by their adapter's field schema: one line per problem. */
export function checkAdapterOverrides(overrides: readonly EnvOverride[], env: NodeJS.ProcessEnv): Array<{ variable: string; line: string }> {
  const out: Array<{ variable: string; line: string }> = [];
  for (const o of overrides) {
    const parsed = o.check?.safeParse(o.value);
    if (parsed && !parsed.success) for (const i of parsed.error.issues) out.push({ variable: o.variable, line: envIssueLine(o, env, [...o.path, ...(i.path as PropertyKey[])], i.message) });
  }
  return out;
}
