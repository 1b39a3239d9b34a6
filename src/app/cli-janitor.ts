/**
 * `faultline janitor`: one pass of the in-cluster dead man's switch (deploy/janitor.yaml runs it every
 * minute). It reads only the cluster: no database, no chat, no bot config needed. Plain lines on
 * stdout (the bot's pino logs are not for this), or one JSON object per line with --json. With
 * `--aws` it also makes one pass over AWS (the tags alone); `--no-kubernetes` skips the cluster.
 */
import { parseDuration } from '../core/duration.js';
import { FaultlineError } from '../core/errors.js';
import { formatIssues } from '../core/format-issues.js';
import type { JanitorLine } from '../adapters/targets/kubernetes/janitor.js';
import { KubernetesTargetConfig } from '../adapters/targets/kubernetes/schema.js';
import { AwsTargetConfig } from '../adapters/targets/aws/schema.js';
import { readConfig } from './config.js';

export const DEFAULT_JANITOR_GRACE = '30s';
const DEFAULT_PROTECTED = ['kube-system', 'kube-public', 'kube-node-lease'];

export interface JanitorCliOptions {
  config?: string;
  kubeconfig?: string;
  context?: string;
  protectedNamespace: string[];
  grace: string;
  dryRun: boolean;
  json: boolean;
  /** Also revert expired AWS faults (instances, groups) from their tags. */
  aws?: boolean;
  /** More regions to look in for AWS faults, besides adapters.targets.aws.region/regions. */
  awsRegion?: string[];
  /** False: skip the cluster pass (`--no-kubernetes`, for a janitor that only watches AWS). */
  kubernetes?: boolean;
}

/** The cluster settings and protected namespaces: --config (or FAULTLINE_CONFIG) if given, then the flags. */
function settings(opts: JanitorCliOptions, env: NodeJS.ProcessEnv): { kube: KubernetesTargetConfig; protectedNamespaces: string[] } {
  const file = opts.config ?? env.FAULTLINE_CONFIG;
  let kube: Record<string, unknown> = {};
  let protectedNamespaces = DEFAULT_PROTECTED;
  if (file) {
    const { config } = readConfig({ file, env });
    kube = { ...((config.adapters.targets.kubernetes as Record<string, unknown> | undefined) ?? {}) };
    protectedNamespaces = config.protected.namespaces;
  } else if (env.KUBECONFIG) kube.kubeconfig = env.KUBECONFIG;
  if (opts.kubeconfig) kube.kubeconfig = opts.kubeconfig;
  if (opts.context) kube.context = opts.context;
  const parsed = KubernetesTargetConfig.safeParse(kube);
  if (!parsed.success) throw new FaultlineError('config_invalid', `invalid cluster settings:\n${formatIssues(parsed.error.issues, ['adapters', 'targets', 'kubernetes'])}`);
  // Flags add to the list; they never take kube-system (or the config's namespaces) off it.
  return { kube: parsed.data, protectedNamespaces: [...new Set([...protectedNamespaces, ...opts.protectedNamespace])] };
}

function render(line: JanitorLine, json: boolean): string {
  if (json) return JSON.stringify(line);
  return line.action === 'summary' ? line.message : `${line.action.padEnd(13)} ${line.message}`;
}

/** The aws settings: --config's adapters.targets.aws (or none), plus --aws-region. Credentials, region and endpoints come from the SDK's chain. */
function awsSettings(opts: JanitorCliOptions, env: NodeJS.ProcessEnv): AwsTargetConfig {
  const file = opts.config ?? env.FAULTLINE_CONFIG;
  const aws: Record<string, unknown> = file ? { ...((readConfig({ file, env }).config.adapters.targets.aws as Record<string, unknown> | undefined) ?? {}) } : {};
  if (opts.awsRegion && opts.awsRegion.length > 0) aws.regions = [...new Set([...((aws.regions as string[] | undefined) ?? []), ...opts.awsRegion])];
  const parsed = AwsTargetConfig.safeParse(aws);
  if (!parsed.success) throw new FaultlineError('config_invalid', `invalid aws settings:\n${formatIssues(parsed.error.issues, ['adapters', 'targets', 'aws'])}`);
  return parsed.data;
}

async function awsPass(opts: JanitorCliOptions, env: NodeJS.ProcessEnv, graceMs: number, write: (line: JanitorLine) => void): Promise<boolean> {
  const config = awsSettings(opts, env);
  // The SDK loads only here.
  const [{ createAwsDriver }, { runAwsJanitor }] = await Promise.all([import('../adapters/targets/aws/driver.js'), import('../adapters/targets/aws/janitor.js')]);
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const driver = createAwsDriver(config, { log: quiet, now: Date.now });
  try {
    return (await runAwsJanitor(driver, { graceMs, dryRun: opts.dryRun, now: Date.now }, write)).ok;
  } finally {
    await driver.close?.();
  }
}

export async function janitorAction(opts: JanitorCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const graceMs = parseDuration(opts.grace);
  if (graceMs === undefined) throw new FaultlineError('command_usage', `--grace ${opts.grace}: expected a duration such as "30s", "2m" or "0s"`);
  const write = (line: JanitorLine) => process.stdout.write(`${render(line, opts.json)}\n`);
  let clusterFailure: { err: unknown } | undefined;
  if (opts.kubernetes !== false) {
    try {
      await kubernetesPass(opts, env, graceMs, write);
    } catch (err) {
      // The AWS pass still runs: a cluster that cannot be read must not keep AWS faults in.
      if (!opts.aws) throw err;
      clusterFailure = { err };
    }
  }
  if (opts.aws && !(await awsPass(opts, env, graceMs, write))) process.exitCode = 1;
  if (clusterFailure) throw clusterFailure.err;
}

async function kubernetesPass(opts: JanitorCliOptions, env: NodeJS.ProcessEnv, graceMs: number, write: (line: JanitorLine) => void): Promise<void> {
  const { kube, protectedNamespaces } = settings(opts, env);
  // The client library loads only here, so registering this command costs `faultline start` nothing.
  const [{ createKubeClient }, { runJanitor }] = await Promise.all([import('../adapters/targets/kubernetes/kube-client.js'), import('../adapters/targets/kubernetes/janitor.js')]);
  const client = createKubeClient(kube, 'adapters.targets.kubernetes');
  // A cluster that cannot be read throws (adapter_error): the CLI prints the reason and exits 2.
  const summary = await runJanitor(
    client,
    { graceMs, protectedNamespaces, dryRun: opts.dryRun, now: Date.now, policy: { attempts: kube.revertAttempts, backoffMs: kube.revertBackoff } },
    write,
  );
  if (!summary.ok) process.exitCode = 1;
}
