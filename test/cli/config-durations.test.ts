import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signalSettings, targetSettings } from '../../src/app/adapter-settings.js';
import { Config, readConfig } from '../../src/app/config.js';
import { RENAMED_FIELDS } from '../../src/app/config-renamed.js';
import { knownSignalAdapters, knownTargetAdapters } from '../../src/app/registries.js';
import { PagerDutySettings } from '../../src/adapters/incidents/pagerduty/schema.js';
import { tempFiles } from '../support/temp-files.js';

const temp = tempFiles();
/** A config file with this YAML text; its path. */
const configFile = (text: string): string => temp.file(text, 'faultline.config.yaml');

/** Every key of a parsed value, as dotted paths. */
function keys(value: unknown, prefix = ''): string[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...keys(v, `${prefix}${k}.`)]);
}

/** Each adapter's settings as the app hands them over, parsed by the adapter's own schema. */
function adapterSettings(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [kind, a] of knownTargetAdapters()) out[`targets.${kind}`] = a.configSchema.parse(targetSettings(config)[kind] ?? {});
  for (const [kind, a] of knownSignalAdapters()) out[`signals.${kind}`] = a.configSchema.parse(signalSettings(config)[kind] ?? {});
  return out;
}

describe('durations in the config', () => {
  it('no field of the config or of an adapter is a bare number of milliseconds', () => {
    const config = Config.parse({});
    const all = [...keys(config), ...keys(adapterSettings(config))];
    expect(all.filter((k) => /Ms$/.test(k))).toEqual([]);
  });

  it('are written with their unit and parsed to ms, in the app block and in every adapter block', () => {
    const file = configFile(
      [
        'pagerduty: { requestTimeout: 2s, pollInterval: 1m }',
        'adapters:',
        '  targets:',
        '    kubernetes: { requestTimeout: 4s, revertBackoff: 100ms }',
        '    process: { requestTimeout: 1500ms, revertBackoff: 0s }',
        '  signals:',
        '    prometheus: { defaultTimeout: 5s }',
        '    http: { defaultTimeout: 1s }',
        '',
      ].join('\n'),
    );
    const { config } = readConfig({ file, env: {} });
    expect(config.pagerduty).toMatchObject({ requestTimeout: 2000, pollInterval: 60_000 });
    expect(adapterSettings(config)).toMatchObject({
      'targets.kubernetes': { requestTimeout: 4000, revertBackoff: 100 },
      'targets.process': { requestTimeout: 1500, revertBackoff: 0 },
      // The pods signal reads the cluster the kubernetes target uses, timeout included.
      'signals.pods': { requestTimeout: 4000 },
      'signals.prometheus': { defaultTimeout: 5000 },
      'signals.http': { defaultTimeout: 1000 },
    });
  });

  it("the README's example config parses, adapter blocks included", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const example = /## Configuration[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const { config } = readConfig({ file: configFile(example!), env: {} });
    expect(config.approvers.length).toBeGreaterThan(0);
    expect(adapterSettings(config)).toMatchObject({ 'targets.process': { requestTimeout: 3000, revertBackoff: 200 }, 'signals.http': { defaultTimeout: 2000 } });
  });

  it('a bare number in a duration field is refused with the unit to write', () => {
    const file = configFile('engine: { signalTimeout: 2000 }\npagerduty: { requestTimeout: 5 }\n');
    expect(() => readConfig({ file, env: {} })).toThrow(/engine\.signalTimeout: expected a duration written with its unit, like "30s", got 2000/);
    expect(() => readConfig({ file, env: {} })).toThrow(/pagerduty\.requestTimeout: expected a duration written with its unit/);
  });
});

describe('an old *Ms field name in the file', () => {
  it('is an error naming the file, the field and its new name with the value as a duration', () => {
    const file = configFile('pagerduty: { requestTimeoutMs: 2000 }\nadapters: { targets: { kubernetes: { revertBackoffMs: 1500 } }, signals: { http: { defaultTimeoutMs: fast } } }\n');
    let message = '';
    try {
      readConfig({ file, env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`invalid configuration in ${file}:`);
    expect(message).toContain("pagerduty.requestTimeoutMs was renamed: use requestTimeout: '2s'");
    expect(message).toContain("adapters.targets.kubernetes.revertBackoffMs was renamed: use revertBackoff: '1500ms'");
    // A value that is no number of ms gets the example instead.
    expect(message).toContain("adapters.signals.http.defaultTimeoutMs was renamed: use defaultTimeout: '2s'");
    // Said once, not again as an unrecognized key.
    expect(message).not.toMatch(/unrecognized/i);
  });

  it('is reported together with the other problems of the file', () => {
    const file = configFile('adapters: { targets: { process: { requestTimeoutMs: 3000 } } }\ncaps: { maxPercent: 400 }\n');
    expect(() => readConfig({ file, env: {} })).toThrow(/requestTimeoutMs was renamed: use requestTimeout: '3s'[\s\S]*caps\.maxPercent/);
  });

  it('every old name in the table is one the current schema no longer has, and its new name parses', () => {
    for (const r of RENAMED_FIELDS) {
      const block = r.path.slice(0, -1);
      const raw = block.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), { [r.to]: r.example });
      const { config } = readConfig({ file: configFile(JSON.stringify(raw)), env: {} });
      const parsed = block[0] === 'adapters' ? adapterSettings(config)[`${block[1]}.${block[2]}`] : config.pagerduty;
      expect(parsed, r.path.join('.')).toHaveProperty(r.to, expect.any(Number));
      expect(parsed, r.path.join('.')).not.toHaveProperty(r.path.at(-1)!);
    }
  });
});

describe('the pagerduty block', () => {
  it('is the adapter’s schema: the config parses it to what PagerDutySettings gives', () => {
    const file = configFile('pagerduty: { linkedServices: [P1], gate: off, freezeMax: 1h }\n');
    expect(readConfig({ file, env: {} }).config.pagerduty).toEqual(PagerDutySettings.parse({ linkedServices: ['P1'], gate: 'off', freezeMax: '1h' }));
  });

  it('refuses secrets in the file: they come from the environment only', () => {
    expect(() => readConfig({ file: configFile('pagerduty: { apiToken: abc }\n'), env: {} })).toThrow(/pagerduty[\s\S]*apiToken/);
  });
});
