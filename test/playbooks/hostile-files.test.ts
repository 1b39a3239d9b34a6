import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { buildSignals, buildTargets } from '../../src/app/registries.js';
import { checkPlaybookFile, DEFAULT_MAX_FILE_BYTES, loadPlaybooks } from '../../src/playbooks/load-playbooks.js';
import { MAX_PROBLEMS_PER_FILE } from '../../src/playbooks/limits.js';
import { substituteVars, type VarIssue } from '../../src/playbooks/substitute-vars.js';
import { validatePlaybook, type AdapterSchemas } from '../../src/playbooks/validate-playbook.js';
import { aliasBomb, CORE_AND_ADAPTER, deepNesting, deepNestingOfSize, DUPLICATE_KEYS, kubePlaybook, manyKeysPlaybook, SELF_ANCHOR } from './hostile-playbooks.js';

const deps = { log: createLogger({ level: 'silent' }), now: () => Date.now() };
const adapters = { targets: buildTargets({}, deps), signals: buildSignals({}, deps) };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function folder(files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'faultline-hostile-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const load = (dir: string, opts = {}) => loadPlaybooks([dir], adapters, {}, opts);
const problemsOf = (reports: Array<{ file: string; problems: string[] }>, name: string) => {
  const report = reports.find((r) => path.basename(r.file) === name);
  expect(report, `a report for ${name}`).toBeDefined();
  return report!.problems.join('\n');
};

describe('hostile YAML', () => {
  it('refuses an alias bomb by line, without expanding it', () => {
    // Twelve levels of nine: 9^12 strings if anything ever expanded it.
    const { reports, playbooks } = load(folder({ 'bomb.yaml': aliasBomb(12) }));
    expect(reports[0]!.ok).toBe(false);
    expect(problemsOf(reports, 'bomb.yaml')).toContain('a1[0] (line 4): YAML aliases (*a0) are not allowed in playbooks; write the value out (9 uses, the first here)');
    expect(reports[0]!.problems.filter((p) => p.includes('YAML aliases'))).toHaveLength(11);
    expect(playbooks.size).toBe(0);
  });

  it('refuses a self-referencing anchor', () => {
    const { reports } = load(folder({ 'self.yaml': SELF_ANCHOR }));
    expect(reports[0]!.problems).toEqual(['a[0] (line 3): YAML aliases (*a) are not allowed in playbooks; write the value out']);
  });

  it('refuses an anchor nothing refers to, and an alias used as a key', () => {
    const text = kubePlaybook('anchored').replace('owner: team-checkout', 'owner: &who team-checkout\ntitle: { *who : x }');
    const problems = problemsOf(load(folder({ 'a.yaml': text })).reports, 'a.yaml');
    expect(problems).toContain('title (line 5): YAML aliases (*who) are not allowed in playbooks');
    expect(load(folder({ 'b.yaml': kubePlaybook('anchored').replace('owner: team-checkout', 'owner: &who team-checkout') })).reports[0]!.problems).toEqual([
      'owner (line 4): YAML anchors (&who) are not allowed in playbooks; remove it',
    ]);
  });

  it('refuses nesting deeper than 64 levels with the path and line, and nesting too deep for the parser', () => {
    // The top map and fault are two levels; parameters and 61 maps inside it make 64, the most allowed.
    // A thousand list indicators, then a thousand brackets: under the pre-parse limit of each, past the parser's stack.
    const deeper = kubePlaybook('deeper').replace('owner: team-checkout', `owner:\n  ${'- '.repeat(1_000)}${'['.repeat(1_000)}x${']'.repeat(1_000)}`);
    const { reports } = load(folder({ 'deep.yaml': deepNesting(100), 'deeper.yaml': deeper, 'at-64.yaml': deepNesting(62), 'at-65.yaml': deepNesting(63) }));
    expect(problemsOf(reports, 'deep.yaml')).toMatch(/^fault\.parameters\.a\.a\.a\.a\.a\.a\.a\.a\.a\.a\.… \(52 levels more\) \(line 11\): nested deeper than 64 levels/);
    expect(problemsOf(reports, 'deeper.yaml')).toMatch(/^YAML \(line 5\): nested too deeply to parse; a playbook may nest at most 64 levels$/m);
    expect(problemsOf(reports, 'at-65.yaml')).toMatch(/nested deeper than 64 levels/);
    // Converted and checked by the schema, which has no parameter `a` for pod-delete.
    expect(problemsOf(reports, 'at-64.yaml')).toBe('fault.parameters (line 11): Unrecognized key: "a"');
  });

  it('refuses runaway nesting before parsing, and does not count brackets in quotes or comments', () => {
    const dashes = kubePlaybook('dashes').replace('owner: team-checkout', `owner:\n  ${'- '.repeat(5_000)}x`);
    const quoted = kubePlaybook('quoted').replace('owner: team-checkout', `owner: "${'['.repeat(5_000)}"\ntitle: '${'{'.repeat(5_000)}' # ${'['.repeat(5_000)}`);
    const { reports } = load(folder({ 'flow.yaml': deepNestingOfSize(DEFAULT_MAX_FILE_BYTES), 'dashes.yaml': dashes, 'quoted.yaml': quoted }));
    expect(problemsOf(reports, 'flow.yaml')).toBe('YAML (line 11): nested too deeply to parse; a playbook may nest at most 64 levels');
    expect(problemsOf(reports, 'dashes.yaml')).toBe('YAML (line 5): nested too deeply to parse; a playbook may nest at most 64 levels');
    expect(reports.find((r) => r.file.endsWith('quoted.yaml'))).toMatchObject({ ok: true, name: 'quoted' });
  });

  it('substituteVars and validatePlaybook stop at 64 levels instead of overflowing the stack', () => {
    const deep: Record<string, unknown> = {};
    let at = deep;
    for (let i = 0; i < 100_000; i++) at = at.a = {};
    const issues: VarIssue[] = [];
    substituteVars({ fault: { parameters: deep } }, {}, issues);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path.slice(0, 3)).toEqual(['fault', 'parameters', 'a']);
    expect(issues[0]!.path).toHaveLength(64);
    const check = validatePlaybook({ kind: 'Experiment', fault: { parameters: deep } }, adapters);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems.map((p) => p.message)).toContain('nested deeper than 64 levels; a playbook needs far fewer');
  });

  it('reports duplicate keys with their line and the line of the first', () => {
    const { reports } = load(folder({ 'dup.yaml': DUPLICATE_KEYS }));
    expect(reports[0]!.problems).toEqual([
      'owner (line 5): duplicate key "owner" (first on line 4); keep one',
      'target.namespace (line 9): duplicate key "namespace" (first on line 8); keep one',
    ]);
  });

  it('lists at most 50 problems of a file and counts the rest', () => {
    const dups = Array.from({ length: 200 }, () => '    app: checkout');
    const { reports } = load(folder({ 'many.yaml': kubePlaybook('many-dups', ['    app: checkout', ...dups]) }));
    expect(reports[0]!.problems).toHaveLength(MAX_PROBLEMS_PER_FILE + 1);
    expect(reports[0]!.problems.at(-1)).toBe('… and 150 more problems in this file');
  });

  it('a 50,000-key playbook is refused unread at the default limit, and parses when the limit is raised', () => {
    const text = manyKeysPlaybook('fifty-thousand', 50_000, 'flow');
    expect(text.length).toBeGreaterThan(DEFAULT_MAX_FILE_BYTES);
    const dir = folder({ 'big.yaml': text });
    expect(problemsOf(load(dir).reports, 'big.yaml')).toMatch(/over the limit of 262144 bytes/);
    const { reports, playbooks } = load(dir, { maxFileBytes: 1024 * 1024 });
    expect(reports[0]).toMatchObject({ ok: true, name: 'fifty-thousand', problems: [] });
    expect(Object.keys(playbooks.get('fifty-thousand')!.playbook.target.selector)).toHaveLength(50_001);
  });

  it('parses a 25,000-key playbook within the default limit', () => {
    const text = manyKeysPlaybook('twenty-five-thousand', 25_000, 'flow');
    expect(text.length).toBeLessThan(DEFAULT_MAX_FILE_BYTES);
    const { reports } = load(folder({ 'big.yaml': text }));
    expect(reports[0]).toMatchObject({ ok: true, name: 'twenty-five-thousand', problems: [] });
  });
});

describe('every problem of a file at once', () => {
  it('core-schema and adapter-schema problems together, each with field and line', () => {
    const { reports } = load(folder({ 'both.yaml': CORE_AND_ADAPTER }));
    expect(reports[0]!.problems).toEqual(
      expect.arrayContaining([
        'hypothesis (line 3): Too small: expected string to have >=10 characters',
        'target.blastRadius (line 10): expected one | all | count:N | percent:P, got "percent:150"',
        expect.stringMatching(/^fault\.parameters\.gracePeriodSeconds \(line 11\): /),
        expect.stringMatching(/^guardrails\[0\]\.signal\.measure \(line 14\): /),
      ]),
    );
    // The blast radius is checked by the core and by the adapter with the same words: said once.
    expect(reports[0]!.problems.filter((p) => p.startsWith('target.blastRadius'))).toHaveLength(1);
  });

  it('names an unknown adapter beside core-schema problems', () => {
    const text = CORE_AND_ADAPTER.replace('adapter: kubernetes', 'adapter: mainframe').replace('source: pods', 'source: carrier-pigeon');
    const problems = problemsOf(load(folder({ 'x.yaml': text })).reports, 'x.yaml');
    expect(problems).toContain('hypothesis (line 3)');
    expect(problems).toContain('target.adapter (line 6): unknown target adapter "mainframe"; known: process, kubernetes');
    expect(problems).toContain('guardrails[0].signal.source (line 14): unknown signal source "carrier-pigeon"');
  });
  it('a game day: its own shape and its inline steps\' problems together', () => {
    const text = [
      'kind: GameDay',
      'name: web-day',
      'title: Web day',
      'roles: { commandr: carol }',
      'steps:',
      '  - name: inline kill',
      '    experiment:',
      '      hypothesis: If one checkout pod is deleted, then the checkout pods stay Ready.',
      '      owner: team-checkout',
      "      target: { adapter: kubernetes, namespace: shop, selector: { app: checkout }, blastRadius: 'lots' }",
      '      fault: { type: pod-delete, duration: 1m }',
      '      guardrails:',
      "        - { name: ready, signal: { source: pods, namespace: shop, selector: { app: checkout }, measure: ready-ratio }, comparison: '<', threshold: 0.66 }",
      '',
    ].join('\n');
    const problems = problemsOf(load(folder({ 'day.yaml': text })).reports, 'day.yaml');
    expect(problems).toMatch(/^roles/m);
    expect(problems).toMatch(/^steps\[0\]\.experiment\.target\.blastRadius \(line 10\): expected one \| all/m);
  });
});

describe('one bad file never stops the others', () => {
  it('a broken link, a folder named *.yaml, a FIFO, an oversized and a non-UTF-8 file are each reported; the good files load', () => {
    const dir = folder({
      'a-good.yaml': kubePlaybook('good-one'),
      'bomb.yaml': aliasBomb(),
      'latin1.yaml': Buffer.concat([Buffer.from('kind: Experiment\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      'huge.yaml': manyKeysPlaybook('huge', 60_000),
      'z-good.yml': kubePlaybook('good-two'),
    });
    symlinkSync(path.join(dir, 'nowhere.yaml'), path.join(dir, 'dangling.yaml'));
    mkdirSync(path.join(dir, 'folder.yaml'));
    const fifo = spawnSync('mkfifo', [path.join(dir, 'pipe.yaml')]).status === 0;

    const { reports, playbooks } = load(dir);
    expect([...playbooks.keys()].sort()).toEqual(['good-one', 'good-two']);
    expect(problemsOf(reports, 'dangling.yaml')).toBe(`broken symbolic link: it points to ${path.join(dir, 'nowhere.yaml')}, which does not exist`);
    expect(problemsOf(reports, 'folder.yaml')).toMatch(/^is a folder, not a playbook file/);
    expect(problemsOf(reports, 'latin1.yaml')).toBe('line 2: not UTF-8 text; save the file as UTF-8');
    expect(problemsOf(reports, 'huge.yaml')).toMatch(/^file is \d+ bytes \(\d+\.\d KiB\), over the limit of 262144 bytes \(256 KiB\); split it, or raise playbooks\.maxFileBytes in the config$/);
    expect(problemsOf(reports, 'bomb.yaml')).toContain('YAML aliases');
    if (fifo) expect(problemsOf(reports, 'pipe.yaml')).toMatch(/^not a regular file/);
    for (const r of reports) expect(r.problems.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('takes maxFileBytes as an option, and refuses before reading', () => {
    const dir = folder({ 'p.yaml': kubePlaybook('sized') });
    expect(load(dir).reports[0]!.ok).toBe(true);
    const { reports } = load(dir, { maxFileBytes: 100 });
    expect(reports[0]!.problems[0]).toMatch(/^file is \d+ bytes .*, over the limit of 100 bytes \(100 bytes\)/);
  });

  it('a missing folder is a report, not a throw; a link loop is walked once', () => {
    const dir = folder({ 'p.yaml': kubePlaybook('looped') });
    mkdirSync(path.join(dir, 'sub'));
    symlinkSync(dir, path.join(dir, 'sub', 'back'));
    const { reports, playbooks } = loadPlaybooks([path.join(dir, 'missing'), dir], adapters, {});
    expect(reports.map((r) => [path.relative(dir, r.file), r.ok, r.problems])).toEqual([
      ['missing', false, ['no such file or folder']],
      ['p.yaml', true, []],
    ]);
    expect([...playbooks.keys()]).toEqual(['looped']);
  });

  it('whatever an adapter schema throws becomes that file\'s problem; the other files still load', () => {
    const shipped = readFileSync(path.join(import.meta.dirname, '..', '..', 'playbooks', 'sandbox', 'checkout-errors.yaml'), 'utf8');
    const dir = folder({ 'k8s.yaml': kubePlaybook('throws'), 'sandbox.yaml': shipped });
    const boom = { faultTypes: [], schemas: { fault: adapters.targets.get('kubernetes')!.schemas.fault, target: { safeParse: () => { throw new RangeError('boom'); } } } };
    const targets = new Map<string, unknown>([...adapters.targets, ['kubernetes', boom]]) as AdapterSchemas['targets'];
    const { reports, playbooks } = loadPlaybooks([dir], { targets, signals: adapters.signals }, { sandboxAdmin: 'http://127.0.0.1:9' });
    expect(problemsOf(reports, 'k8s.yaml')).toBe('could not be checked: boom');
    expect([...playbooks.keys()]).toEqual(['checkout-errors']);
    expect(checkPlaybookFile(path.join(dir, 'k8s.yaml'), { targets, signals: adapters.signals }, {}).report.problems).toEqual(['could not be checked: boom']);
  });
});
