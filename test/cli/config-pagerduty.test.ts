import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/app/config.js';
import { tempFiles } from '../support/temp-files.js';

const temp = tempFiles();
/** A config file with this YAML text; its path. */
const configFile = (text: string): string => temp.file(text);

describe('pagerduty.gate in the config file', () => {
  it('is on unless set off (off, false or "off" in YAML)', () => {
    expect(readConfig({ file: configFile('pagerduty: { linkedServices: [P1] }\n'), env: {} }).config.pagerduty.gate).toBe('on');
    expect(readConfig({ file: configFile('pagerduty: { gate: off }\n'), env: {} }).config.pagerduty.gate).toBe('off');
    expect(readConfig({ file: configFile('pagerduty: { gate: false }\n'), env: {} }).config.pagerduty.gate).toBe('off');
    expect(readConfig({ file: configFile('pagerduty: { gate: "on" }\n'), env: {} }).config.pagerduty.gate).toBe('on');
  });

  it('names the field when the value is neither', () => {
    expect(() => readConfig({ file: configFile('pagerduty: { gate: sometimes }\n'), env: {} })).toThrow(/pagerduty\.gate/);
  });
});

describe('whether a port is configured (the console serves HTTP only then)', () => {
  const cwd = () => temp.dir();

  it('not for the embedded defaults, nor a file without server.port', () => {
    expect(readConfig({ env: {}, cwd: cwd() }).portConfigured).toBe(false);
    expect(readConfig({ file: configFile('server: { host: 127.0.0.1 }\n'), env: {} }).portConfigured).toBe(false);
  });

  it('with PORT (0 too) or server.port in the file', () => {
    expect(readConfig({ env: { PORT: '8080' }, cwd: cwd() })).toMatchObject({ portConfigured: true, config: { server: { port: 8080 } } });
    expect(readConfig({ env: { PORT: '0' }, cwd: cwd() }).portConfigured).toBe(true);
    expect(readConfig({ file: configFile('server: { port: 3001 }\n'), env: {} }).portConfigured).toBe(true);
  });
});
