import { describe, expect, it } from 'vitest';
import { signalSettings } from '../../src/app/adapter-settings.js';
import { Config } from '../../src/app/config.js';
import { buildSignals } from '../../src/app/registries.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const withAdapters = (adapters: Record<string, unknown>) => Config.parse({ adapters });

describe('cloudwatch signal settings as the app hands them over', () => {
  it('the region and profile of the aws target, unless the signal names its own', () => {
    const aws = { targets: { aws: { region: 'eu-west-1', profile: 'chaos', requestTimeout: '10s' } } };
    expect(signalSettings(withAdapters(aws)).cloudwatch).toEqual({ region: 'eu-west-1', profile: 'chaos' });
    expect(signalSettings(withAdapters({ ...aws, signals: { cloudwatch: { region: 'us-east-1', requestTimeout: '2s' } } })).cloudwatch).toEqual({ region: 'us-east-1', profile: 'chaos', requestTimeout: '2s' });
    expect(signalSettings(withAdapters({})).cloudwatch).toEqual({});
  });

  it('are parsed by the adapter when the signals are built: a bad one is config_invalid, naming the field', () => {
    expect(buildSignals(signalSettings(withAdapters({ signals: { cloudwatch: { requestTimeout: '3s' } } })), { log: quiet, now: Date.now }).get('cloudwatch')?.kind).toBe('cloudwatch');
    expect(() => buildSignals(signalSettings(withAdapters({ signals: { cloudwatch: { requestTimeout: 3000, secretAccessKey: 'x' } } })), { log: quiet, now: Date.now })).toThrow(
      /invalid settings for adapter cloudwatch:[\s\S]*adapters\.signals\.cloudwatch/,
    );
  });
});
