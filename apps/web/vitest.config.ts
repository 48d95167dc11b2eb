import { siptsVitestConfig } from '../../tools/config/vitest.js';

// End-to-end files start Chromium and servers on loopback ports: one file at a time (the default).
export default siptsVitestConfig({ testTimeout: 60_000, hookTimeout: 60_000 });
