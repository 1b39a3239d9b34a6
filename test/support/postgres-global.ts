import type { TestProject } from 'vitest/node';
import { postgresBinDir, startPostgres } from './postgres.js';

/**
 * One PostgreSQL server for the whole run (vitest's globalSetup): each store test makes its own
 * database on it, so ten files do not pay for ten `initdb`s.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Without PostgreSQL installed only the tests that need it fail, each saying how to install it.
  if (!postgresBinDir()) return async () => {};
  const pg = await startPostgres();
  project.provide('postgresUrl', pg.url);
  return () => pg.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}
