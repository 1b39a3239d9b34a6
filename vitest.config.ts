import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that start processes (bot, sandbox, Prometheus) take the longest and mostly wait, while
 * the short files mostly compute. Three slow files start first; the rest of the slow files are then
 * spread through the short ones, so the fourth worker computes while three wait, and no long file is
 * left to start last. Without a cache (a fresh clone in CI) vitest would order by file size.
 */
/**
 * Files that take seconds: those that start processes or servers (integration, cli, the CLI checks
 * of playbooks), the store tests (a PostgreSQL database each), and the engine tests that wait out
 * real guardrail rounds.
 */
const SLOW = /\/test\/(integration|cli|store)\/|\/validate-cli\.test|\/engine\/(gameday|recovery|no-fault-left|incident-gate|preflight|guardrails)\.test/;

class SlowFilesSpread extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isSlow = (f: TestSpecification) => SLOW.test(f.moduleId.replace(/\\/g, '/'));
    const slow = sorted.filter(isSlow);
    const quick = sorted.filter((f) => !isSlow(f));
    const out = slow.splice(0, 3);
    // Spread over the first 60 % of the short files: the last stretch is short files only, so no long
    // one starts near the end and keeps the run waiting for it alone.
    const gap = Math.max(1, Math.floor((quick.length * 0.6) / (slow.length + 1)));
    while (slow.length > 0 || quick.length > 0) {
      out.push(...quick.splice(0, gap));
      const next = slow.shift();
      if (next) out.push(next);
    }
    return out;
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One real PostgreSQL for the run; the store tests make a database each on it.
    globalSetup: ['test/support/postgres-global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores. Most of a file's time is spent waiting (guardrail rounds, sandbox traffic, processes
    // starting, PostgreSQL), not computing, so five files run at once. Two things made that safe: the
    // integration tests' sandbox runs in its own process (its proxy's latency is no longer the test
    // process's pauses), and a worker keeps its modules from one file to the next (importing the
    // engine afresh for each file cost a minute of CPU). Keeping modules is safe because nothing in
    // src keeps state in a module: every test builds its own engine, store and servers.
    maxWorkers: 5,
    isolate: false,
    sequence: { sequencer: SlowFilesSpread },
    reporters: ['default', 'json'],
    outputFile: { json: 'data/test-results.json' },
  },
});
