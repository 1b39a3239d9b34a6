import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that start processes (bot, sandbox, Prometheus) take the longest; they start first so
 * the short files fill the gaps around them. Without a cache (a fresh clone in CI) vitest would
 * order by file size, which puts several long files last.
 */
class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = (f: TestSpecification) => /[/\\]test[/\\](integration|cli)[/\\]/.test(f.moduleId);
    return [...sorted.filter(slow), ...sorted.filter((f) => !slow(f))];
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores. Most of a file's time is spent waiting (guardrail rounds, sandbox traffic, processes
    // starting), not computing; but four files at once starve the sandbox traffic and the bot processes
    // the integration tests start, and their steady state then fails. Three keep the cores busy.
    maxWorkers: 3,
    // A worker keeps its modules from one file to the next: importing the engine afresh for each of
    // 158 files cost a minute of CPU. Safe because nothing in src keeps state in a module (every test
    // builds its own engine, store and servers).
    isolate: false,
    sequence: { sequencer: SlowFilesFirst },
    reporters: ['default', 'json'],
    outputFile: { json: 'data/test-results.json' },
  },
});
