import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackApiStandIn } from '../fakes/slack-api.js';
import { BIN, ROOT, waitUntil } from './harness.js';

describe('faultline start with a Slack token', () => {
  let dir: string;
  let api: SlackApiStandIn;
  let configFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-slack-cli-'));
    api = await SlackApiStandIn.start();
    configFile = path.join(dir, 'faultline.config.yaml');
    writeFileSync(configFile, stringify({ store: { path: path.join(dir, 'faultline.db') }, server: { host: '127.0.0.1' }, approvers: ['U0ALICE', 'U0BOB'] }));
  });
  afterAll(async () => {
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs over HTTP on PORT, logs pino JSON, answers /healthz, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, '--config', configFile, 'start'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-cli', SLACK_SIGNING_SECRET: 'cli-secret', SLACK_APP_TOKEN: '', SLACK_API_URL: api.url, PORT: '0' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitUntil('ready', () => out.includes('faultline ready on slack'), 20_000);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = lines.find((l) => l.msg === 'faultline ready on slack')!;
    expect(ready).toMatchObject({ mode: 'http', name: 'faultline' });
    expect(JSON.stringify(lines)).not.toContain('xoxb-cli');
    expect(JSON.stringify(lines)).not.toContain('cli-secret');
    const health = await fetch(`${ready.url as string}/healthz`);
    expect(health.status).toBe(200);
    expect(api.callsTo('auth.test')[0]?.token).toBe('xoxb-cli');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
  });

  it('says what is missing when only the bot token is set', () => {
    const r = spawnSync(process.execPath, [BIN, '--config', configFile, 'start'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-cli', SLACK_SIGNING_SECRET: '', SLACK_APP_TOKEN: '', SLACK_API_URL: api.url },
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('also set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode) [config_invalid]');
  });
});
