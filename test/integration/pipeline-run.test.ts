import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { activeFaults, BIN, ROOT, spawnBot, startBotFixture, waitForSteadySandbox, type BotFixture } from './harness.js';

/**
 * `faultline run` as a pipeline runs it: a real process, a real config file, the real sandbox. The
 * standing approvals are granted first through the console, as an approver would in chat.
 */
describe('faultline run', () => {
  let fx: BotFixture;
  let dir: string;
  beforeAll(async () => {
    fx = await startBotFixture('faultline-run-', { engine: { guardrailInterval: '500ms', postcheckTimeout: '20s', signalTimeout: '1s' } });
    dir = path.join(fx.dir, 'pipeline-playbooks');
    mkdirSync(dir, { recursive: true });
    const latency = parse(readFileSync(path.join(ROOT, 'playbooks', 'sandbox', 'checkout-latency.yaml'), 'utf8')) as Record<string, unknown> & { fault: Record<string, unknown> };
    // A short run that holds (one replica 300 ms slower stays within the bounds), and a long one to time out.
    writeFileSync(path.join(dir, 'pipeline-held.yaml'), stringify({ ...latency, name: 'pipeline-held', fault: { ...latency.fault, duration: '3s' } }));
    writeFileSync(path.join(dir, 'pipeline-long.yaml'), stringify({ ...latency, name: 'pipeline-long', fault: { ...latency.fault, duration: '5m' } }));
    const config = parse(readFileSync(fx.configFile, 'utf8')) as { playbooks: { dirs: string[] } };
    config.playbooks.dirs.push(dir);
    writeFileSync(fx.configFile, stringify(config));
    // bob, an approver of the console, grants the standing approvals in chat.
    const console = spawnBot(fx.configFile);
    console.child.stdin!.end(['/as bob', '/chaos approve-standing pipeline-held for 1d', '/chaos approve-standing pipeline-long for 1d', '/chaos approve-standing checkout-errors for 1d', ''].join('\n'));
    expect(await console.exited, console.output()).toBe(0);
    expect(console.output().match(/Standing approval of/g)).toHaveLength(3);
  });
  afterAll(async () => {
    await fx?.close();
  });

  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--config', fx.configFile, 'run', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLACK_BOT_TOKEN: '' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => resolve({ code, out, err }));
    });
  const junit = (file: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name) }).parse(readFileSync(file, 'utf8')) as {
    testsuites: { testsuite: Array<{ name: string; testcase: Array<{ name: string; failure?: { message: string } | string }>; properties: { property: Array<{ name: string; value: string }> } }> };
  };
  const experimentsIn = () => {
    const store = openStore({ path: path.join(fx.dir, 'faultline.db') });
    try {
      return store.experiments.list({}).length;
    } finally {
      store.close();
    }
  };

  it('a run that holds exits 0, its JUnit file has a passing case per check, and the proposer is the pipeline', async () => {
    await waitForSteadySandbox(fx.sandbox.adminUrl);
    const files = { json: path.join(fx.dir, 'held.json'), junit: path.join(fx.dir, 'held.xml') };
    const r = await run(['pipeline-held', '--as', 'ci-deploy', '--json', files.json, '--junit', files.junit]);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/exp-[0-9a-f]+ pipeline-held: held/);
    // Announced on its card: whose standing approval it ran under.
    expect(r.err).toContain('under the standing approval of bob');
    const result = JSON.parse(readFileSync(files.json, 'utf8')) as { outcome: string; verdict: string; reverts: Array<{ confirmed: boolean }>; steadyState: unknown[]; guardrails: unknown[] };
    expect(result).toMatchObject({ outcome: 'held', verdict: 'held' });
    expect(result.reverts.every((x) => x.confirmed)).toBe(true);
    const suite = junit(files.junit).testsuites.testsuite[0]!;
    expect(suite.name).toBe('pipeline-held');
    expect(suite.testcase.length).toBe(result.steadyState.length + result.guardrails.length);
    expect(suite.testcase.filter((c) => c.failure !== undefined)).toEqual([]);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
  });

  it('a refuted run exits 1, and the breached guardrail is a JUnit failure carrying its reading', async () => {
    await waitForSteadySandbox(fx.sandbox.adminUrl);
    const file = path.join(fx.dir, 'refuted.xml');
    const r = await run(['checkout-errors', '--junit', file]);
    expect(r.code, r.err + r.out).toBe(1);
    const failures = junit(file).testsuites.testsuite[0]!.testcase.filter((c) => c.failure !== undefined);
    expect(failures.map((c) => c.name).join(' ')).toContain('customer-facing error rate');
    expect(JSON.stringify(failures)).toMatch(/0\.\d+/);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
  });

  it('a run no standing approval covers (an override changes the plan) is refused with exit 3 and leaves no proposal waiting', async () => {
    const file = path.join(fx.dir, 'refused.xml');
    const r = await run(['pipeline-held', '--set', 'duration=4s', '--junit', file]);
    expect(r.code, r.err + r.out).toBe(3);
    expect(r.err).toContain('differ from what bob approved');
    const cases = junit(file).testsuites.testsuite[0]!.testcase;
    expect(cases.some((c) => c.failure !== undefined)).toBe(true);
    const store = openStore({ path: path.join(fx.dir, 'faultline.db') });
    try {
      expect(store.experiments.list({ states: ['proposed', 'approved'] })).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('--timeout aborts and reverts the run, and exits 3', async () => {
    await waitForSteadySandbox(fx.sandbox.adminUrl);
    const json = path.join(fx.dir, 'timeout.json');
    const r = await run(['pipeline-long', '--timeout', '4s', '--json', json]);
    expect(r.code, r.err + r.out).toBe(3);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ outcome: 'timeout', state: 'aborted' });
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
  });

  it('--dry-run prints the plan and a reading of every signal, exits 0, and leaves the sandbox and the store untouched', async () => {
    const before = experimentsIn();
    const r = await run(['checkout-errors', '--dry-run']);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/Fault: http-error for 30 s on 2 of 3 candidates/);
    expect(r.out).toMatch(/guardrail "customer-facing error rate": reads [0-9.]+/);
    expect(await activeFaults(fx.sandbox.adminUrl)).toEqual([]);
    expect(experimentsIn()).toBe(before);
  });

  it('a usage error exits 4 naming the option', async () => {
    const r = await run(['pipeline-held', '--set', 'colour=blue']);
    expect(r.code).toBe(4);
    expect(r.err).toContain('--set colour=blue');
    // The argument parser's own refusals too: never 1, which a pipeline would read as refuted.
    const bogus = await run(['pipeline-held', '--bogus']);
    expect(bogus.code).toBe(4);
    expect(bogus.err).toContain("unknown option '--bogus'");
    const unknown = await run(['no-such-playbook']);
    expect(unknown.code).toBe(4);
    expect(unknown.err).toContain('no playbook named no-such-playbook');
    expect(existsSync(path.join(fx.dir, 'faultline.db'))).toBe(true);
  });
});
