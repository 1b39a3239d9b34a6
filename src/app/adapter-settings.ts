import type { Config } from './config.js';

/** The connection settings the pods signal takes from the kubernetes target unless it sets them itself. */
const SHARED_CONNECTION = ['kubeconfig', 'context', 'requestTimeout', 'pageSize', 'inClusterServer', 'homeDir', 'serviceAccountDir'] as const;

const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The account settings the cloudwatch signal takes from the aws target unless it sets them itself. */
const SHARED_AWS = ['region', 'profile'] as const;

/** Target settings as the adapters get them: the kubernetes target also learns what is protected (drains and interval kills pick pods themselves). */
export function targetSettings(config: Config): Record<string, unknown> {
  const kube = asRecord(config.adapters.targets.kubernetes);
  return { ...config.adapters.targets, kubernetes: { protectedNamespaces: config.protected.namespaces, protectedLabels: config.protected.labels, ...kube } };
}

/**
 * Signal settings as the adapters get them. The pods signal reads the cluster the kubernetes target
 * acts on: kubeconfig, context, timeouts and pageSize come from `adapters.targets.kubernetes` unless
 * `adapters.signals.pods` sets them. A pods signal given a kubeconfig or context of its own reads that
 * cluster for every check (it then no longer follows an experiment's cluster unless `followTarget`).
 */
export function signalSettings(config: Config): Record<string, unknown> {
  const kube = asRecord(config.adapters.targets.kubernetes);
  const own = asRecord(config.adapters.signals.pods);
  const shared = Object.fromEntries(SHARED_CONNECTION.filter((k) => kube[k] !== undefined).map((k) => [k, kube[k]]));
  const elsewhere = (own.kubeconfig !== undefined && own.kubeconfig !== kube.kubeconfig) || (own.context !== undefined && own.context !== kube.context);
  const pods = { ...shared, ...own, ...(own.followTarget === undefined && elsewhere ? { followTarget: false } : {}) };
  return { ...config.adapters.signals, pods, cloudwatch: cloudwatchSettings(config) };
}

/** The cloudwatch signal reads the account and region the aws target acts in, unless `adapters.signals.cloudwatch` names its own. */
function cloudwatchSettings(config: Config): Record<string, unknown> {
  const aws = asRecord(config.adapters.targets.aws);
  const shared = Object.fromEntries(SHARED_AWS.filter((k) => aws[k] !== undefined).map((k) => [k, aws[k]]));
  return { ...shared, ...asRecord(config.adapters.signals.cloudwatch) };
}
