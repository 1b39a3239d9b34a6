import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/app/config.js';
import { isFaultlineError } from '../../src/core/errors.js';
import { tempFiles } from '../support/temp-files.js';

const temp = tempFiles();
/** A config file with this YAML text; its path. */
const configFile = (text: string): string => temp.file(text);

/** The error readConfig throws with this environment. */
function failure(env: NodeJS.ProcessEnv, text = 'approvers: [U1]\n'): Error & { details?: Record<string, unknown> } {
  try {
    readConfig({ file: configFile(text), env });
  } catch (err) {
    if (isFaultlineError(err)) return err as Error & { details?: Record<string, unknown> };
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('environment overrides', () => {
  it('set their fields over the file', () => {
    const file = configFile('approvers: [U1]\nstore: { path: file.db }\nserver: { port: 3001 }\npagerduty: { apiUrl: "https://pd.example" }\n');
    const env = { FAULTLINE_APPROVERS: 'U2, T1/U3', FAULTLINE_DB: '/tmp/env.db', PORT: '8080', PAGERDUTY_API_URL: 'http://127.0.0.1:9999', PROMETHEUS_URL: 'http://prom:9090' };
    const { config } = readConfig({ file, env });
    expect(config.approvers).toEqual(['U2', 'T1/U3']);
    expect(config.store.path).toBe('/tmp/env.db');
    expect(config.server.port).toBe(8080);
    expect(config.pagerduty.apiUrl).toBe('http://127.0.0.1:9999');
    expect(config.adapters.signals.prometheus).toEqual({ url: 'http://prom:9090' });
  });

  it('an empty variable is unset', () => {
    const { config } = readConfig({ file: configFile('approvers: [U1]\n'), env: { FAULTLINE_APPROVERS: '', PORT: '', FAULTLINE_DB: '' } });
    expect(config.approvers).toEqual(['U1']);
    expect(config.server.port).toBe(3000);
  });

  it('a bad value is refused by the schema, naming the variable, its value and the field', () => {
    const err = failure({ FAULTLINE_APPROVERS: 'alice,bob smith' });
    expect(err.message).toContain('invalid configuration in the environment:');
    expect(err.message).toContain('FAULTLINE_APPROVERS="alice,bob smith" (approvers[1]): a chat user id, or TEAM/USER to pin it to one workspace');
    expect(err.details).toMatchObject({ variables: ['FAULTLINE_APPROVERS'] });
  });

  it('PORT, the PagerDuty URLs and PROMETHEUS_URL too', () => {
    expect(failure({ PORT: 'eighty' }).message).toContain('PORT="eighty" (server.port): expected a port number 0..65535');
    expect(failure({ PORT: '70000' }).message).toContain('PORT="70000" (server.port): expected a port number 0..65535');
    expect(failure({ PAGERDUTY_EVENTS_URL: 'events.pagerduty.com' }).message).toMatch(/PAGERDUTY_EVENTS_URL="events\.pagerduty\.com" \(pagerduty\.eventsUrl\): Invalid URL/);
    // Adapter settings are parsed by the adapter later; the variable is still checked (and named) here.
    expect(failure({ PROMETHEUS_URL: 'prometheus 9090' }).message).toMatch(/PROMETHEUS_URL="prometheus 9090" \(adapters\.signals\.prometheus\.url\): Invalid URL/);
  });

  it('problems of the file and of the environment are reported together, each where it comes from', () => {
    const err = failure({ PORT: 'x' }, 'approvers: U1\n');
    expect(err.message).toMatch(/^invalid configuration in .*c\.yaml and the environment:/);
    expect(err.message).toMatch(/ {2}- approvers: .*array/);
    expect(err.message).toContain('PORT="x" (server.port)');
  });

  it('the file keeps its own errors when its shape leaves no place for the variable', () => {
    const err = failure({ FAULTLINE_DB: '/tmp/x.db' }, 'store: 5\n');
    expect(err.message).toMatch(/in .*c\.yaml:\n {2}- store: /);
    expect(err.message).not.toContain('FAULTLINE_DB');
  });

  it('secrets stay out of the config and are never echoed', () => {
    const loaded = readConfig({ file: configFile('approvers: [U1]\n'), env: { PAGERDUTY_API_TOKEN: 'pd-secret', SLACK_BOT_TOKEN: 'xoxb-secret', PROMETHEUS_BEARER_TOKEN: 'prom-secret' } });
    expect(JSON.stringify(loaded.config)).not.toMatch(/pd-secret|xoxb-secret/);
    expect(loaded.env).toMatchObject({ pagerdutyApiToken: 'pd-secret', slackBotToken: 'xoxb-secret' });
    expect(loaded.config.adapters.signals.prometheus).toEqual({ bearerToken: 'prom-secret' });
  });
});
