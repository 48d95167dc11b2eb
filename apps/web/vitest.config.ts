import { siptsVitestConfig } from '../../tools/config/vitest.js';

// End-to-end files start Chromium and servers on loopback ports: one file at a time (the default).
// The pages are built once per run into a folder of the tests' own (test/global-build.ts).
export default siptsVitestConfig({ testTimeout: 60_000, hookTimeout: 60_000, globalSetup: ['test/global-build.ts'] });
