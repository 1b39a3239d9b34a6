import type { z } from 'zod';
import { FaultlineError } from '../core/errors.js';
import type { AdapterDeps, SignalAdapter, SignalSource, TargetAdapter, TargetDriver } from '../core/ports.js';
import { cloudwatchSignalAdapter } from '../adapters/signals/cloudwatch/index.js';
import { httpSignalAdapter } from '../adapters/signals/http/index.js';
import { lazyPodsSignalAdapter as podsSignalAdapter } from '../adapters/signals/pods/lazy.js';
import { prometheusSignalAdapter } from '../adapters/signals/prometheus/index.js';
import { lazyAwsTargetAdapter as awsTargetAdapter } from '../adapters/targets/aws/lazy.js';
import { lazyKubernetesTargetAdapter as kubernetesTargetAdapter } from '../adapters/targets/kubernetes/lazy.js';
import { processTargetAdapter } from '../adapters/targets/process/index.js';
import { formatIssues } from '../core/format-issues.js';

/** Every adapter this build knows, one Map per family. */
export function knownTargetAdapters(): Map<string, TargetAdapter<never>> {
  return new Map<string, TargetAdapter<never>>([
    [processTargetAdapter.kind, processTargetAdapter as TargetAdapter<never>],
    [kubernetesTargetAdapter.kind, kubernetesTargetAdapter as TargetAdapter<never>],
    [awsTargetAdapter.kind, awsTargetAdapter as TargetAdapter<never>],
  ]);
}

export function knownSignalAdapters(): Map<string, SignalAdapter<never>> {
  return new Map<string, SignalAdapter<never>>([
    [httpSignalAdapter.kind, httpSignalAdapter as SignalAdapter<never>],
    [prometheusSignalAdapter.kind, prometheusSignalAdapter as SignalAdapter<never>],
    [podsSignalAdapter.kind, podsSignalAdapter as SignalAdapter<never>],
    [cloudwatchSignalAdapter.kind, cloudwatchSignalAdapter as SignalAdapter<never>],
  ]);
}

function build<R>(
  family: 'targets' | 'signals',
  adapters: Map<string, { kind: string; configSchema: z.ZodType; create(c: never, d: AdapterDeps): R }>,
  settings: Record<string, unknown>,
  deps: AdapterDeps,
): Map<string, R> {
  for (const name of Object.keys(settings)) {
    if (!adapters.has(name)) {
      throw new FaultlineError('config_invalid', `adapters.${family}.${name}: no such adapter; known: ${[...adapters.keys()].join(', ')}`);
    }
  }
  const out = new Map<string, R>();
  for (const [kind, adapter] of adapters) {
    const parsed = adapter.configSchema.safeParse(settings[kind] ?? {});
    if (!parsed.success) {
      throw new FaultlineError('config_invalid', `invalid settings for adapter ${kind}:\n${formatIssues(parsed.error.issues, ['adapters', family, kind])}`);
    }
    out.set(kind, adapter.create(parsed.data as never, deps));
  }
  return out;
}

export function buildTargets(settings: Record<string, unknown>, deps: AdapterDeps): Map<string, TargetDriver> {
  return build('targets', knownTargetAdapters(), settings, deps);
}

export function buildSignals(settings: Record<string, unknown>, deps: AdapterDeps): Map<string, SignalSource> {
  return build('signals', knownSignalAdapters(), settings, deps);
}
