import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores. Most of a file's time is spent waiting (guardrail rounds, sandbox traffic, processes
    // starting), not computing, so three files at once keep the cores busy without crowding them; more
    // would crowd the sandbox, Prometheus and bot processes the integration tests start.
    maxWorkers: 3,
    reporters: ['default', 'json'],
    outputFile: { json: 'data/test-results.json' },
  },
});
