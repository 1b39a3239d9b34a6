/**
 * What loading playbooks costs: loadPlaybooks on one dense 256 KiB playbook and one at the size
 * limit, on the shipped playbooks beside every hostile file, on each hostile file alone, and the
 * wall time of `faultline validate` (a whole process) on a file at the limit.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { playbookVars } from '../src/app/compose.js';
import { Config } from '../src/app/config.js';
import { createLogger } from '../src/app/logger.js';
import { buildSignals, buildTargets } from '../src/app/registries.js';
import { DEFAULT_MAX_FILE_BYTES, loadPlaybooks } from '../src/playbooks/load-playbooks.js';
import { aliasBomb, CORE_AND_ADAPTER, deepNesting, deepNestingOfSize, DUPLICATE_KEYS, playbookOfSize, SELF_ANCHOR } from '../test/playbooks/hostile-playbooks.js';
import { summary } from './stats.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_PLAYBOOK_RUNS ?? 5);
const KiB = 1024;

function timed(runs: number, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function benchPlaybookLoad(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'faultline-bench-playbooks-'));
  const config = Config.parse({});
  const deps = { log: createLogger({ level: 'silent' }), now: () => Date.now() };
  const adapters = { targets: buildTargets({}, deps), signals: buildSignals({}, deps) };
  const vars = playbookVars(config);
  const load = (p: string) => loadPlaybooks([p], adapters, vars, { maxFileBytes: config.playbooks.maxFileBytes });
  log(`playbook loading (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores; ${RUNS} runs each)`);
  try {
    const sized = (name: string, bytes: number) => {
      const file = path.join(dir, `${name}.yaml`);
      const text = playbookOfSize(name, bytes);
      writeFileSync(file, text);
      return { file, text, keys: text.split('\n').length };
    };
    const quarter = sized('quarter-mib', 256 * KiB);
    const limit = sized('at-the-limit', DEFAULT_MAX_FILE_BYTES);
    for (const f of [quarter, limit]) {
      const ok = load(f.file).reports[0]?.ok;
      log(summary(`loadPlaybooks, one ${f.text.length / KiB} KiB playbook (${f.keys} lines, a key each; valid: ${ok})`, timed(RUNS, () => load(f.file)), 'ms'));
    }
    const t0 = performance.now();
    parseDocument(quarter.text, { uniqueKeys: true });
    log(`for comparison, yaml's own duplicate-key check (uniqueKeys: true) on the 256 KiB playbook: parse alone ${(performance.now() - t0).toFixed(0)} ms`);

    // The shipped playbooks with every hostile file beside them.
    const folder = path.join(dir, 'folder');
    cpSync(path.join(ROOT, 'playbooks'), folder, { recursive: true });
    const hostile: Record<string, string | Buffer> = {
      'alias-bomb.yaml': aliasBomb(12),
      'self-anchor.yaml': SELF_ANCHOR,
      'deep-100.yaml': deepNesting(100),
      'deep-at-the-limit.yaml': deepNestingOfSize(DEFAULT_MAX_FILE_BYTES),
      'deep-lists-at-the-limit.yaml': `kind: Experiment\nowner:\n  ${'- '.repeat(DEFAULT_MAX_FILE_BYTES / 2 - 40)}x\n`,
      'duplicate-keys.yaml': DUPLICATE_KEYS,
      'core-and-adapter.yaml': CORE_AND_ADAPTER,
      'oversized-4mib.yaml': playbookOfSize('oversized', 4 * 1024 * KiB),
      'latin1.yaml': Buffer.from('kind: Experiment\nname: caf\xe9\n', 'latin1'),
    };
    mkdirSync(path.join(folder, 'hostile'));
    for (const [name, text] of Object.entries(hostile)) writeFileSync(path.join(folder, 'hostile', name), text);
    symlinkSync(path.join(folder, 'hostile', 'gone.yaml'), path.join(folder, 'hostile', 'dangling.yaml'));
    mkdirSync(path.join(folder, 'hostile', 'folder.yaml'));
    const all = load(folder).reports;
    const label = `loadPlaybooks, shipped playbooks + ${Object.keys(hostile).length + 2} hostile files (${all.filter((r) => r.ok).length} ok, ${all.filter((r) => !r.ok).length} refused)`;
    log(summary(label, timed(RUNS, () => load(folder)), 'ms'));
    for (const name of [...Object.keys(hostile), 'dangling.yaml', 'folder.yaml']) {
      const file = path.join(folder, 'hostile', name);
      log(summary(`  loadPlaybooks, ${name} alone`, timed(RUNS, () => load(file)), 'ms'));
    }

    // A whole `faultline validate` process: start-up (tsx, adapters) plus the file.
    const cli = (file: string) => () => {
      try {
        execFileSync(process.execPath, [path.join(ROOT, 'src', 'app', 'faultline.mjs'), 'validate', file], { cwd: dir, env: { ...process.env, FAULTLINE_CONFIG: '' }, stdio: 'ignore' });
      } catch {
        // exit 1 for the invalid files is expected
      }
    };
    const small = path.join(folder, 'sandbox', 'checkout-errors.yaml');
    log(summary('faultline validate, wall time, one shipped playbook (process start-up)', timed(RUNS, cli(small)), 'ms'));
    log(summary(`faultline validate, wall time, one ${DEFAULT_MAX_FILE_BYTES / KiB} KiB playbook at the limit`, timed(RUNS, cli(limit.file)), 'ms'));
    log(summary('faultline validate, wall time, the folder above', timed(RUNS, cli(folder)), 'ms'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
