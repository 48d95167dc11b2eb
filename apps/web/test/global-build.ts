/**
 * vitest global setup: builds the pages once per test run into a folder of their own, and hands
 * its path to the test files (`inject('webDist')`). The end-to-end tests used to serve dist/,
 * which the package's `build` task (`vite build`, run by turbo beside the tests under `test:all`)
 * empties and rewrites: the pages could vanish under a running test. Nothing else writes here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder with this run's built pages (index.html, client.html and their assets). */
    webDist: string;
  }
}

const WEB_ROOT = resolve(import.meta.dirname, '..');

export default async function setup(project: TestProject): Promise<() => void> {
  const outDir = mkdtempSync(join(tmpdir(), 'sipts-web-test-dist-'));
  await build({ root: WEB_ROOT, configFile: join(WEB_ROOT, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  project.provide('webDist', outDir);
  return () => {
    rmSync(outDir, { recursive: true, force: true });
  };
}
