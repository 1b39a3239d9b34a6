import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * In a process of its own (the module cache is per process): building every signal adapter, as the
 * app does at start, does not load @aws-sdk/client-cloudwatch; the first cloudwatch sample does.
 */
const SCRIPT = `
import { createRequire } from 'node:module';
import { buildSignals } from './src/app/registries.ts';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('client-cloudwatch'));
const signals = buildSignals({ cloudwatch: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1 } }, { log: { info() {}, warn() {}, error() {}, debug() {} }, now: Date.now });
const atStart = loaded();
const source = signals.get('cloudwatch');
source.describe({ source: 'cloudwatch', alarm: 'web-5xx' });
const afterDescribe = loaded();
process.env.AWS_ACCESS_KEY_ID = 'AKIAFAULTLINETEST';
process.env.AWS_SECRET_ACCESS_KEY = 'x';
const reading = await source.sample({ source: 'cloudwatch', alarm: 'web-5xx' }, { now: Date.now, timeoutMs: 2000 });
console.log(JSON.stringify({ atStart, afterDescribe, afterSample: loaded(), status: reading.status }));
`;

describe('cloudwatch signal: the SDK loads on the first sample', () => {
  it('a bot that builds its signals but samples no CloudWatch check never loads the client', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1)!)).toEqual({ atStart: false, afterDescribe: false, afterSample: true, status: 'unknown' });
  });
});
