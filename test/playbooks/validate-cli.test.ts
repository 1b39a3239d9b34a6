import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aliasBomb, CORE_AND_ADAPTER, deepNesting, DUPLICATE_KEYS, kubePlaybook, playbookOfSize, SELF_ANCHOR } from './hostile-playbooks.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'app', 'faultline.mjs');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'faultline-validate-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function validate(args: string[], cwd: string, before: string[] = []) {
  const r = spawnSync(process.execPath, [BIN, ...before, 'validate', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, FAULTLINE_CONFIG: '', SLACK_BOT_TOKEN: '' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const STACK_LINE = /^\s+at .+[(:]\d+/m;

describe('faultline validate on hostile files', () => {
  it('reports each hostile file by file, field, line and reason, loads the good ones, and exits 1', () => {
    const dir = tmp();
    const files: Record<string, string> = {
      'bomb.yaml': aliasBomb(),
      'self.yaml': SELF_ANCHOR,
      'deep.yaml': deepNesting(100),
      'dup.yaml': DUPLICATE_KEYS,
      'both.yaml': CORE_AND_ADAPTER,
      'huge.yaml': playbookOfSize('huge', 256 * 1024 + 1),
      'good.yaml': kubePlaybook('good'),
      'limit.yaml': playbookOfSize('at-the-limit', 256 * 1024),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    symlinkSync(path.join(dir, 'gone.yaml'), path.join(dir, 'dangling.yaml'));
    mkdirSync(path.join(dir, 'folder.yaml'));

    const r = validate(['.'], dir);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toBe('');
    expect(r.out + r.err).not.toMatch(STACK_LINE);
    expect(r.out).toContain('ok      good.yaml (good)');
    expect(r.out).toContain('ok      limit.yaml (at-the-limit)');
    expect(r.out).toContain('  - bomb.yaml: a1[0] (line 4): YAML aliases (*a0) are not allowed in playbooks; write the value out');
    expect(r.out).toContain('  - self.yaml: a[0] (line 3): YAML aliases (*a) are not allowed in playbooks; write the value out');
    expect(r.out).toMatch(/ {2}- deep\.yaml: fault\.parameters\.a\.a.* \(line 11\): nested deeper than 64 levels/);
    expect(r.out).toContain('  - dup.yaml: owner (line 5): duplicate key "owner" (first on line 4); keep one');
    expect(r.out).toContain('  - both.yaml: hypothesis (line 3): Too small');
    expect(r.out).toContain('  - both.yaml: target.blastRadius (line 10)');
    expect(r.out).toMatch(/ {2}- both\.yaml: fault\.parameters\.gracePeriodSeconds \(line 11\)/);
    expect(r.out).toMatch(/ {2}- both\.yaml: guardrails\[0\]\.signal\.measure \(line 14\)/);
    expect(r.out).toContain('  - huge.yaml: file is 262145 bytes (256.0 KiB), over the limit of 262144 bytes (256 KiB); split it, or raise playbooks.maxFileBytes in the config');
    expect(r.out).toContain(`  - dangling.yaml: broken symbolic link: it points to ${path.join(dir, 'gone.yaml')}, which does not exist`);
    expect(r.out).toMatch(/ {2}- folder\.yaml: is a folder, not a playbook file/);
    expect(r.out).toContain('2 valid, 8 invalid');
  });

  it('reads playbooks.maxFileBytes from the config', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'big.yaml'), playbookOfSize('bigger-than-default', 600 * 1024));
    writeFileSync(path.join(dir, 'raised.config.yaml'), 'playbooks:\n  maxFileBytes: 1048576\n');
    const refused = validate(['big.yaml'], dir);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('over the limit of 262144 bytes (256 KiB)');
    const raised = validate(['big.yaml'], dir, ['--config', 'raised.config.yaml']);
    expect(raised.code, raised.out + raised.err).toBe(0);
    expect(raised.out).toContain('ok      big.yaml (bigger-than-default)');
  });

  it('exits 2 when a folder holds no playbooks, and names a broken link given by name', () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'empty'));
    symlinkSync(path.join(dir, 'gone.yaml'), path.join(dir, 'link.yaml'));
    const empty = validate(['empty'], dir);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('no .yaml playbooks under empty');
    const link = validate(['link.yaml'], dir);
    expect(link.code).toBe(1);
    expect(link.out).toContain('  - link.yaml: broken symbolic link');
    expect(link.out + link.err).not.toMatch(STACK_LINE);
  });

  it('reports a PromQL syntax error by field, line and place in the query; --check reports what cannot be read', () => {
    const dir = tmp();
    const promql = (name: string, query: string) =>
      [
        'kind: Experiment',
        `name: ${name}`,
        'hypothesis: If one replica fails half its requests, the 5xx ratio stays low.',
        'owner: team-checkout',
        'target: { adapter: process, selector: { service: checkout }, blastRadius: one }',
        'fault: { type: http-error, parameters: { percent: 50 }, duration: 30s }',
        'guardrails:',
        '  - name: 5xx ratio',
        `    signal: { source: prometheus, query: '${query}' }`,
        '    comparison: ">"',
        '    threshold: 0.05',
        '',
      ].join('\n');
    writeFileSync(path.join(dir, 'bad.yaml'), promql('bad', 'sum(rate(http_requests_total{code=~"5.."}[5m]) by'));
    writeFileSync(path.join(dir, 'good.yaml'), promql('good', 'sum(rate(http_requests_total{code=~"5.."}[5m]))'));
    const r = validate(['.'], dir);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toContain('  - bad.yaml: guardrails[0].signal.query (line 9): PromQL syntax error at 1:48 near "by"');
    expect(r.out).toContain('ok      good.yaml (good)');
    // No PROMETHEUS_URL: the query cannot be run, and --check says so (the real Prometheus: test/integration).
    const checked = validate(['--check', 'good.yaml'], dir);
    expect(checked.code).toBe(1);
    expect(checked.out).toContain('  ✗ good.yaml: guardrails[0] 5xx ratio: unknown: no Prometheus URL configured (set PROMETHEUS_URL)');
  });
});
