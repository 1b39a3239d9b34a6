#!/usr/bin/env node
// The `faultline` command. In a checkout (sources and tsx present) it runs the TypeScript sources,
// so a stale build can never shadow an edit; the image, which ships only dist/, runs the build.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = join(root, 'src', 'app', 'cli.ts');
const built = join(root, 'dist', 'src', 'app', 'cli.js');
let tsx;
if (existsSync(source)) tsx = await import('tsx/esm/api').catch(() => undefined);
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  process.stderr.write('faultline: neither the sources with tsx (npm ci) nor a build (npm run build) are here\n');
  process.exit(1);
}
