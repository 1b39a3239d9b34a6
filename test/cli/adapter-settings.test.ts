import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { signalSettings, targetSettings } from '../../src/app/adapter-settings.js';
import { Config, readConfig } from '../../src/app/config.js';

/** The pods signal reads the cluster the kubernetes target acts on, unless its own settings say otherwise. */

const withAdapters = (adapters: Record<string, unknown>) => Config.parse({ adapters });

describe('adapter settings', () => {
  it('the pods signal takes kubeconfig, context, timeouts and pageSize from the kubernetes target', () => {
    const config = withAdapters({ targets: { kubernetes: { kubeconfig: '/k', context: 'prod', requestTimeout: '4s', pageSize: 50, optInNamespaces: true } } });
    expect(signalSettings(config).pods).toEqual({ kubeconfig: '/k', context: 'prod', requestTimeout: '4s', pageSize: 50 });
    expect(targetSettings(config).kubernetes).toMatchObject({ kubeconfig: '/k', context: 'prod', protectedNamespaces: ['kube-system', 'kube-public', 'kube-node-lease'] });
  });

  it('what the pods signal sets itself wins; a cluster of its own stops it following experiments unless it says so', () => {
    const base = { targets: { kubernetes: { kubeconfig: '/k', context: 'prod' } } };
    expect(signalSettings(withAdapters({ ...base, signals: { pods: { pageSize: 10 } } })).pods).toEqual({ kubeconfig: '/k', context: 'prod', pageSize: 10 });
    expect(signalSettings(withAdapters({ ...base, signals: { pods: { context: 'staging' } } })).pods).toEqual({ kubeconfig: '/k', context: 'staging', followTarget: false });
    expect(signalSettings(withAdapters({ ...base, signals: { pods: { context: 'staging', followTarget: true } } })).pods).toMatchObject({ followTarget: true });
    expect(signalSettings(withAdapters({ ...base, signals: { pods: { context: 'prod' } } })).pods).toEqual({ kubeconfig: '/k', context: 'prod' });
  });

  it('KUBECONFIG goes to the kubernetes target unless the file names one; the pods signal takes it from there', () => {
    const { config } = readConfig({ env: { KUBECONFIG: '/env/kubeconfig' }, cwd: tmpdir() });
    expect(config.adapters.targets.kubernetes).toEqual({ kubeconfig: '/env/kubeconfig' });
    expect(config.adapters.signals.pods).toBeUndefined();
    expect(signalSettings(config).pods).toEqual({ kubeconfig: '/env/kubeconfig' });
  });
});
