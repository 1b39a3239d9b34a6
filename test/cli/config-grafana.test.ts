import { describe, expect, it } from 'vitest';
import { readConfig, redactedConfig } from '../../src/app/config.js';
import { wireGrafana } from '../../src/app/grafana-wiring.js';
import { combineTransitions, type TransitionHook } from '../../src/app/transition-hooks.js';
import { makeRecord } from '../core/fixtures.js';
import { RecordingLog } from '../fakes/recording-log.js';
import { tempFiles } from '../support/temp-files.js';

const temp = tempFiles();
const configFile = (text: string): string => temp.file(text);

describe('the grafana block', () => {
  it('is absent unless configured; url, dashboardUid and timeout (default 5s) when it is', () => {
    expect(readConfig({ file: configFile('approvers: [U1]\n'), env: {} }).config.grafana).toBeUndefined();
    expect(readConfig({ file: configFile('grafana: { url: "https://grafana.example.com" }\n'), env: {} }).config.grafana).toEqual({ url: 'https://grafana.example.com', timeout: 5000 });
    expect(readConfig({ file: configFile('grafana: { url: "http://g:3000/grafana", dashboardUid: faultline-bot, panelId: 2, timeout: 2s }\n'), env: {} }).config.grafana).toEqual({
      url: 'http://g:3000/grafana',
      dashboardUid: 'faultline-bot',
      panelId: 2,
      timeout: 2000,
    });
  });

  it('refuses a url that is not http(s), a bare-number timeout, unknown fields and a panel without a dashboard, naming the field', () => {
    expect(() => readConfig({ file: configFile('grafana: { url: "ftp://g" }\n'), env: {} })).toThrow(/grafana\.url/);
    expect(() => readConfig({ file: configFile('grafana: { url: "http://g", timeout: 5000 }\n'), env: {} })).toThrow(/grafana\.timeout/);
    expect(() => readConfig({ file: configFile('grafana: { url: "http://g", token: x }\n'), env: {} })).toThrow(/token/);
    expect(() => readConfig({ file: configFile('grafana: { url: "http://g", panelId: 3 }\n'), env: {} })).toThrow(/grafana\.panelId/);
  });

  it('GRAFANA_URL sets grafana.url (and the block); a bad one is refused naming the variable', () => {
    expect(readConfig({ file: configFile('approvers: [U1]\n'), env: { GRAFANA_URL: 'http://127.0.0.1:3000' } }).config.grafana).toEqual({ url: 'http://127.0.0.1:3000', timeout: 5000 });
    expect(readConfig({ file: configFile('grafana: { url: "http://a", dashboardUid: d }\n'), env: { GRAFANA_URL: 'http://b' } }).config.grafana).toMatchObject({ url: 'http://b', dashboardUid: 'd' });
    expect(() => readConfig({ file: configFile('approvers: [U1]\n'), env: { GRAFANA_URL: 'not a url' } })).toThrow(/GRAFANA_URL="not a url" \(grafana\.url\)/);
  });

  it('GRAFANA_TOKEN is a secret: in env only, redacted in what is logged', () => {
    const loaded = readConfig({ file: configFile('grafana: { url: "http://g" }\n'), env: { GRAFANA_TOKEN: 'glsa_secret_value' } });
    expect(loaded.env.grafanaToken).toBe('glsa_secret_value');
    const logged = JSON.stringify(redactedConfig(loaded));
    expect(logged).not.toContain('glsa_secret_value');
    expect(logged).toContain('"grafanaToken":"[redacted]"');
  });
});

describe('wireGrafana', () => {
  const config = (text: string) => readConfig({ file: configFile(text), env: {} }).config;

  it('no token: no annotator, and a warning naming GRAFANA_TOKEN', () => {
    const log = new RecordingLog();
    expect(wireGrafana(config('grafana: { url: "http://g" }\n'), {}, log)).toBeUndefined();
    expect(log.lines).toEqual([{ level: 'warn', msg: 'grafana annotations off: GRAFANA_TOKEN is not set', obj: { variable: 'GRAFANA_TOKEN', url: 'http://g' } }]);
  });

  it('a token without a url: no annotator, a warning naming GRAFANA_URL; neither: silence', () => {
    const log = new RecordingLog();
    expect(wireGrafana(config('approvers: [U1]\n'), { grafanaToken: 't' }, log)).toBeUndefined();
    expect(log.messages('warn')).toEqual(['grafana annotations off: GRAFANA_TOKEN is set but no grafana.url']);
    const quiet = new RecordingLog();
    expect(wireGrafana(config('approvers: [U1]\n'), {}, quiet)).toBeUndefined();
    expect(quiet.lines).toEqual([]);
  });

  it('both: an annotator whose hook returns at once', () => {
    const log = new RecordingLog();
    const a = wireGrafana(config('grafana: { url: "http://127.0.0.1:9" }\n'), { grafanaToken: 't' }, log)!;
    expect(a).toBeDefined();
    expect(log.messages('info')).toEqual(['grafana annotations on']);
    expect(a.onTransition(makeRecord('approved'), makeRecord('approved'), null)).toBeUndefined();
  });
});

describe('combineTransitions', () => {
  const before = makeRecord('approved');
  const after = makeRecord('running', 'prechecking');

  it('none: undefined; one: that hook itself', () => {
    const h: TransitionHook = () => {};
    expect(combineTransitions()).toBeUndefined();
    expect(combineTransitions(undefined, undefined)).toBeUndefined();
    expect(combineTransitions(undefined, h)).toBe(h);
  });

  it('calls every hook in order with the same arguments, even after one throws; the error is rethrown after', () => {
    const calls: string[] = [];
    const boom = new Error('pagerduty hook broke');
    const hook = combineTransitions(
      (b, a, card) => {
        calls.push(`first ${b.state}->${a.state} ${card?.ts}`);
        throw boom;
      },
      (b, a, card) => void calls.push(`second ${b.state}->${a.state} ${card?.ts}`),
    )!;
    expect(() => hook(before, after, { channel: 'C1', ts: '1.2' })).toThrow(boom);
    expect(calls).toEqual(['first approved->running 1.2', 'second approved->running 1.2']);
  });

  it('several failures: one AggregateError with all of them', () => {
    const hook = combineTransitions(
      () => {
        throw new Error('a');
      },
      () => {
        throw new Error('b');
      },
    )!;
    expect(() => hook(before, after, null)).toThrow(AggregateError);
  });
});
