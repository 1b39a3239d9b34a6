import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startSandbox } from '../../src/sandbox/index.js';
import { openStore } from '../../src/store/index.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'app', 'faultline.mjs');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'faultline-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cli(args: string[], opts: { env?: Record<string, string>; input?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, FAULTLINE_CONFIG: '', SLACK_BOT_TOKEN: '', FAULTLINE_APPROVERS: '', ...opts.env },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cliAsync(args: string[], input: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, FAULTLINE_CONFIG: '', SLACK_BOT_TOKEN: '', FAULTLINE_APPROVERS: '' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
}

describe('faultline validate', () => {
  it('accepts the shipped playbooks', () => {
    const r = cli(['validate', 'playbooks']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/ok\s+playbooks\/sandbox\/checkout-errors\.yaml \(checkout-errors\)/);
    expect(r.out).toMatch(/\d+ valid, 0 invalid/);
  });

  it('reports every problem with file, field path, line and expectation', () => {
    const r = cli(['validate', 'test/fixtures/playbooks/broken-fields.yaml']);
    expect(r.code).toBe(1);
    const file = 'test/fixtures/playbooks/broken-fields.yaml';
    expect(r.out).toContain(`${file}: name`);
    expect(r.out).toContain('hypothesis: missing (expected string)');
    expect(r.out).toContain('target.blastRadius (line 7)');
    expect(r.out).toContain('fault.duration (line 11)');
    expect(r.out).toMatch(/guardrails\[0\]\.comparison \(line 15\)/);
  });

  it('names the adapter-level problems once the shape is right', () => {
    const dir = tmp();
    const file = path.join(dir, 'adapter-fields.yaml');
    writeFileSync(
      file,
      [
        'kind: Experiment',
        'name: adapter-fields',
        'hypothesis: If the replicas fail a lot, then the error rate stays low.',
        'owner: team-x',
        'target: { adapter: process, selector: { service: checkout, zone: a } }',
        'fault: { type: http-error, parameters: { percent: 250 }, duration: 30s }',
        'guardrails:',
        '  - name: e',
        '    signal: { source: http, url: not-a-url, path: errorRate }',
        '    comparison: ">"',
        '    threshold: 1',
      ].join('\n'),
    );
    const r = cli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/target\.selector.*zone|target\.selector/);
    expect(r.out).toMatch(/fault\.parameters\.percent/);
    expect(r.out).toMatch(/guardrails\[0\]\.signal\.url/);
  });

  it('reports YAML syntax errors, unknown adapters, signal sources and variables', () => {
    const r = cli(['validate', 'test/fixtures/playbooks/bad-yaml.yaml', 'test/fixtures/playbooks/unknown-adapter.yaml']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('invalid test/fixtures/playbooks/bad-yaml.yaml');
    expect(r.out).toMatch(/YAML: /);
    expect(r.out).toMatch(/target\.adapter.*unknown target adapter "mainframe"; known: process/);
    expect(r.out).toMatch(/unknown signal source "carrier-pigeon"/);
    expect(r.out).toMatch(/unknown variable \$\{nowhere\}/);
    expect(r.out).toContain('0 valid, 2 invalid');
  });

  it('says so when a path does not exist', () => {
    const r = cli(['validate', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('no/such/dir: no such file or folder [playbook_not_found]');
  });
});

describe('faultline schema', () => {
  it('prints a JSON Schema with the adapters\' fault types and the core fields', () => {
    const r = cli(['schema']);
    expect(r.code, r.err).toBe(0);
    const schema = JSON.parse(r.out) as { properties: Record<string, unknown>; required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(['kind', 'name', 'hypothesis', 'target', 'fault', 'guardrails']));
    expect(r.out).toContain('http-error');
    expect(r.out).toContain('process-kill');
    expect(r.out).toContain('"measure"');
  });

  it('--gameday prints the GameDay schema: roles, steps by reference or inline, autoContinue', () => {
    const r = cli(['schema', '--gameday']);
    expect(r.code, r.err).toBe(0);
    const schema = JSON.parse(r.out) as { required: string[]; properties: Record<string, { enum?: string[] }> };
    expect(schema.required).toEqual(expect.arrayContaining(['kind', 'name', 'title', 'roles', 'steps']));
    expect(schema.properties.autoContinue?.enum).toEqual(['never', 'whenHeld']);
    expect(r.out).toContain('"experiment"');
    expect(r.out).toContain('"playbook"');
  });
});

describe('faultline audit verify', () => {
  it('passes on an intact chain and names the first tampered row', () => {
    const dir = tmp();
    const db = path.join(dir, 'audit.db');
    const store = openStore({ path: db });
    for (let i = 0; i < 20; i++) store.append({ at: 1_000 + i, actor: 'alice', kind: 'command', experimentId: null, data: { i } });
    store.close();
    const ok = cli(['audit', 'verify'], { env: { FAULTLINE_DB: db } });
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('audit chain ok: 20 rows');

    const raw = new Database(db);
    raw.exec('DROP TRIGGER IF EXISTS events_no_update');
    for (const t of raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as Array<{ name: string }>) raw.exec(`DROP TRIGGER "${t.name}"`);
    raw.prepare('UPDATE events SET actor = ? WHERE seq = 7').run('mallory');
    raw.close();
    const bad = cli(['audit', 'verify'], { env: { FAULTLINE_DB: db } });
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('audit chain BROKEN');
    expect(bad.out).toContain('at row 7');
  });
});

describe('configuration errors', () => {
  it('name the file and the field, and nothing starts', () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'approvers: alice\ncaps: { maxPercent: 400 }\nengine: { guardrailInterval: soon }\nsurprise: 1\n');
    const r = cli(['--config', file, 'start']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid configuration in ${file}`);
    expect(r.err).toMatch(/approvers: .*array/i);
    expect(r.err).toContain('caps.maxPercent');
    expect(r.err).toContain('engine.guardrailInterval');
    expect(r.err).toMatch(/surprise/);
    expect(r.err).toContain('[config_invalid]');
  });

  it('refuses an adapter it does not know', () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, `store: { path: ${path.join(dir, 'x.db')} }\nadapters: { targets: { mainframe: {} } }\n`);
    const r = cli(['--config', file, 'start']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('adapters.targets.mainframe: no such adapter; known: process');
  });
});

describe('the config through the real process', () => {
  it('an old *Ms field name is an error naming the file, the field and its new name', () => {
    const dir = tmp();
    const file = path.join(dir, 'old.yaml');
    writeFileSync(file, `store: { path: ${path.join(dir, 'x.db')} }\nadapters: { targets: { process: { requestTimeoutMs: 2000 } } }\n`);
    const r = cli(['--config', file, 'start']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid configuration in ${file}`);
    expect(r.err).toContain("adapters.targets.process.requestTimeoutMs was renamed: use requestTimeout: '2s'");
  });

  it('a bad environment value is refused naming the variable, and nothing starts', () => {
    const dir = tmp();
    const file = path.join(dir, 'ok.yaml');
    writeFileSync(file, `store: { path: ${path.join(dir, 'x.db')} }\n`);
    const r = cli(['--config', file, 'start'], { env: { FAULTLINE_APPROVERS: 'bob smith' } });
    expect(r.code).toBe(2);
    expect(r.err).toContain('invalid configuration in the environment');
    expect(r.err).toContain('FAULTLINE_APPROVERS="bob smith" (approvers[0])');
    expect(existsSync(path.join(dir, 'x.db'))).toBe(false);
  });
});

describe('approvers by mode', () => {
  it('Slack with no approvers refuses to start, saying how to set them; exit code as other config errors', () => {
    const dir = tmp();
    const file = path.join(dir, 'slack.yaml');
    writeFileSync(file, `store: { path: ${path.join(dir, 'x.db')} }\n`);
    // Nothing listens on the API URL: the refusal comes before any call to Slack.
    const r = cli(['--config', file, 'start'], { env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: 'http://127.0.0.1:9/api/', FAULTLINE_APPROVERS: '' } });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`no approvers for Slack: set approvers in ${file}, e.g. \`approvers: [U0123ABCD, U0456EFGH]\``);
    expect(r.err).toContain('FAULTLINE_APPROVERS=U0123ABCD,U0456EFGH');
    expect(r.err).toContain('[config_invalid]');
    expect(existsSync(path.join(dir, 'x.db'))).toBe(false);
  });

  it('the console with no approvers configured lets the demo users approve', async () => {
    const sandbox = await startSandbox({ proxyPort: 0, adminPort: 0, replicas: 3, rps: 5 });
    try {
      const dir = tmp();
      const file = path.join(dir, 'console.yaml');
      writeFileSync(
        file,
        stringify({
          store: { path: path.join(dir, 'faultline.db') },
          postmortems: { dir: path.join(dir, 'postmortems') },
          playbooks: { dirs: [path.join(ROOT, 'playbooks', 'sandbox')], vars: { sandboxAdmin: sandbox.adminUrl, sandboxProxy: sandbox.proxyUrl } },
          adapters: { targets: { process: { adminUrl: sandbox.adminUrl } } },
        }),
      );
      // Not spawnSync: the sandbox answers from this process, whose event loop must keep running.
      const r = await cliAsync(['--config', file, 'start'], '/as alice\n/chaos propose checkout-latency\n');
      expect(r.code, r.out + r.err).toBe(0);
      // The card lists who may approve: the demo users other than the proposer.
      expect(r.out).toMatch(/Approvers:\s+bob, carol/);
    } finally {
      await sandbox.stop();
    }
  });
});
